using System.Text;

namespace Transfer.Reporting;

/// <summary>Escapes text for HTML element content and quoted attribute values.</summary>
internal static class Html
{
    /// <summary>Replaces <c>&amp; &lt; &gt; " '</c> with entities and control characters (invalid in HTML) with U+FFFD; other Unicode passes through (the page is UTF-8).</summary>
    public static string Encode(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                case '\t' or '\n' or '\r': sb.Append(ch); break;
                default: sb.Append(char.IsControl(ch) ? '\uFFFD' : ch); break;
            }
        }

        return sb.ToString();
    }
}
