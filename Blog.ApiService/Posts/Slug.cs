using System.Globalization;
using System.Text;

namespace Blog.ApiService.Posts;

/// <summary>URL-friendly form of a title: lower-case ASCII letters and digits joined by hyphens.</summary>
public static class Slug
{
    public static string From(string title)
    {
        var builder = new StringBuilder(Data.Post.SlugMaxLength);
        var pendingHyphen = false;
        foreach (var ch in title.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsAsciiLetterOrDigit(ch))
            {
                if (pendingHyphen && builder.Length > 0)
                {
                    // A hyphen needs a character after it: with no room for both, the slug ends here.
                    if (builder.Length + 2 > Data.Post.SlugMaxLength)
                    {
                        break;
                    }

                    builder.Append('-');
                }

                pendingHyphen = false;
                builder.Append(char.ToLowerInvariant(ch));
                if (builder.Length >= Data.Post.SlugMaxLength)
                {
                    break;
                }
            }
            else
            {
                pendingHyphen = true;
            }
        }

        return builder.Length > 0 ? builder.ToString() : "post";
    }
}
