using System.Text;

namespace Transfer.Images;

/// <summary>A small RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF; reports the line of each row.</summary>
internal static class CsvReader
{
    public static List<(int Line, List<string> Fields)> Read(string text, string fileName)
    {
        var rows = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        bool fieldWasQuoted = false;
        int line = 1;
        int rowLine = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                if (field.Length > 0 && field.ToString().Trim().Length > 0)
                {
                    throw new DatasetException($"Manifest \"{fileName}\" line {line}: a quote inside an unquoted field. Quote the whole field and double inner quotes (\"a\"\"b.png\").");
                }

                if (fieldWasQuoted)
                {
                    throw new DatasetException($"Manifest \"{fileName}\" line {line}: text after a closing quote. Double inner quotes (\"a\"\"b.png\").");
                }

                field.Clear();
                quoted = true;
                fieldWasQuoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldWasQuoted = false;
            }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                fields.Add(field.ToString());
                rows.Add((rowLine, fields));
                fields = [];
                field.Clear();
                fieldWasQuoted = false;
                line++;
                rowLine = line;
            }
            else
            {
                if (fieldWasQuoted && !char.IsWhiteSpace(c))
                {
                    throw new DatasetException($"Manifest \"{fileName}\" line {line}: text after a closing quote. Double inner quotes (\"a\"\"b.png\").");
                }

                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new DatasetException($"Manifest \"{fileName}\" line {rowLine}: a quoted field is never closed. Add the closing quote.");
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            rows.Add((rowLine, fields));
        }

        return rows;
    }
}
