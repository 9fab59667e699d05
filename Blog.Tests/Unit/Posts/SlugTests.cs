using Blog.ApiService.Data;
using Blog.ApiService.Posts;

namespace Blog.Tests.Unit.Posts;

public sealed class SlugTests
{
    [Theory]
    [InlineData("Hello, World!", "hello-world")]
    [InlineData("Top 10 tips for 2026", "top-10-tips-for-2026")]
    [InlineData("  --Leading and trailing--  ", "leading-and-trailing")]
    [InlineData("many   spaces\tand\n\nnewlines", "many-spaces-and-newlines")]
    [InlineData("Crème brûlée à la française", "creme-brulee-a-la-francaise")]
    [InlineData("ÇA VA? Ñoño", "ca-va-nono")]
    [InlineData("snake_case/and.dots", "snake-case-and-dots")]
    public void A_title_becomes_lower_case_ascii_words_joined_by_single_hyphens(string title, string slug) =>
        Assert.Equal(slug, Slug.From(title));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!! ??? ...")]
    [InlineData("日本語のタイトル")]
    [InlineData("🙂🙂🙂")]
    public void A_title_without_any_ascii_letter_or_digit_becomes_post(string title) =>
        Assert.Equal("post", Slug.From(title));

    [Fact]
    public void A_long_title_is_cut_to_the_column_length()
    {
        var slug = Slug.From(new string('a', 500));

        Assert.Equal(new string('a', Post.SlugMaxLength), slug);
    }

    [Theory]
    [InlineData(Post.SlugMaxLength - 1)]
    [InlineData(Post.SlugMaxLength - 2)]
    [InlineData(Post.SlugMaxLength)]
    public void A_long_title_of_several_words_never_exceeds_the_column_nor_ends_with_a_hyphen(int firstWordLength)
    {
        var title = new string('a', firstWordLength) + " bb cc dd";

        var slug = Slug.From(title);

        Assert.True(slug.Length <= Post.SlugMaxLength, $"{slug.Length} characters: {slug}");
        Assert.False(slug.EndsWith('-'), slug);
        Assert.StartsWith(new string('a', firstWordLength), slug);
    }

    [Fact]
    public void The_same_title_always_gives_the_same_slug() =>
        Assert.Equal(Slug.From("Ünïcode Title"), Slug.From("Ünïcode Title".Normalize(System.Text.NormalizationForm.FormD)));
}
