using System.ComponentModel.DataAnnotations;

namespace Blog.Web.Posts;

/// <summary>The new-post and edit-post form; the API validates again and its answer wins.</summary>
public sealed class PostInput
{
    [Required, StringLength(200)]
    public string Title { get; set; } = "";

    [Required, StringLength(100_000)]
    public string Body { get; set; } = "";
}
