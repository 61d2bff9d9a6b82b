using System.CommandLine;
using System.Text;
using Transfer.Cli.Output;
using Transfer.Images;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>--manifest &lt;labels.csv&gt; [--path-col ImagePath] [--label-col Label]</c>: labelled images listed in a CSV with a
/// header row (as <c>mlnet</c>'s <c>--dataset</c> with <c>--label-col</c>), instead of one sub-folder per class. Paths are
/// relative to the CSV's folder, or absolute.
/// </summary>
internal sealed class ManifestArguments
{
    /// <summary>The default path column; <see cref="FallbackPathColumn"/> (ImageSet.FromManifest's header) when the CSV has no such column.</summary>
    public const string DefaultPathColumn = "ImagePath";

    /// <summary>The path column looked for when the CSV has no <see cref="DefaultPathColumn"/>.</summary>
    public const string FallbackPathColumn = "path";

    /// <summary>The default label column.</summary>
    public const string DefaultLabelColumn = "Label";

    public ManifestArguments(string what)
    {
        Manifest = new Option<string?>("--manifest") { Description = $"{what} listed in a CSV file with a header row instead of the folder: one row per image, its path (relative to the CSV's folder, or absolute) and its label. Columns by name: --path-col, --label-col." };
        PathColumn = new Option<string?>("--path-col") { Description = $"With --manifest: the column holding the image paths (default {DefaultPathColumn}, else {FallbackPathColumn}; names match ignoring case)." };
        LabelColumn = new Option<string?>("--label-col") { Description = $"With --manifest: the column holding the labels (default {DefaultLabelColumn}; names match ignoring case)." };
    }

    public Option<string?> Manifest { get; }

    public Option<string?> PathColumn { get; }

    public Option<string?> LabelColumn { get; }

    public IEnumerable<Option> All => [Manifest, PathColumn, LabelColumn];

    public Settings Read(ParseResult parse) => new(parse.GetValue(Manifest), parse.GetValue(PathColumn), parse.GetValue(LabelColumn));

    /// <summary>
    /// The images of a folder argument or of <c>--manifest</c>: exactly one of them (else exit 2). <paramref name="skipMissing"/>
    /// is <see langword="null"/> for a command without <c>--skip-bad-images</c>; <paramref name="columnsUsedElsewhere"/>
    /// when another CSV (train's <c>--test</c>) takes <c>--path-col</c> and <c>--label-col</c>.
    /// </summary>
    public static Loaded LoadFolderOrManifest(string? folder, Settings manifest, bool? skipMissing, string what, bool columnsUsedElsewhere = false)
    {
        if (manifest.Path is null)
        {
            if (!columnsUsedElsewhere && (manifest.PathColumn is not null || manifest.LabelColumn is not null))
            {
                throw new CliException(ExitCode.Usage, "--path-col and --label-col choose the columns of --manifest; pass --manifest <labels.csv>, or leave them out with a folder.");
            }

            return folder is null
                ? throw new CliException(ExitCode.Usage, $"Pass the {what.ToLowerInvariant()} folder (one sub-folder per class) or --manifest <labels.csv>.")
                : new Loaded(CliInputs.LoadImages(folder, $"{what} folder"), [], null);
        }

        if (folder is not null)
        {
            throw new CliException(ExitCode.Usage, $"Pass the {what.ToLowerInvariant()} folder \"{folder}\" or --manifest \"{manifest.Path}\", not both.");
        }

        return Load(manifest.Path, manifest.PathColumn, manifest.LabelColumn, skipMissing);
    }

    /// <summary>
    /// Reads a manifest. Missing files fail (exit 4) unless <paramref name="skipMissing"/>, which lists them instead
    /// (<see langword="null"/>: the command has no <c>--skip-bad-images</c> to suggest).
    /// </summary>
    public static Loaded Load(string csv, string? pathColumn, string? labelColumn, bool? skipMissing)
    {
        string full = CliInputs.RequireFile(csv, "Manifest (--manifest)");
        string folder = Path.GetDirectoryName(full)!;
        string text;
        try
        {
            text = File.ReadAllText(full, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCode.NotFound, $"Manifest \"{csv}\" (--manifest) cannot be read: {ex.Message}", ex);
        }

        var rows = ParseCsv(text, csv);
        if (rows.Count == 0)
        {
            throw Bad($"Manifest \"{csv}\" is empty. Its first row is a header naming the columns, e.g. {DefaultPathColumn},{DefaultLabelColumn}; then one row per image.");
        }

        var header = rows[0].Fields.Select(h => h.Trim()).ToList();
        int pathAt = Column(header, pathColumn ?? DefaultPathColumn, pathColumn is null ? FallbackPathColumn : null, "--path-col", csv);
        int labelAt = Column(header, labelColumn ?? DefaultLabelColumn, null, "--label-col", csv);
        var entries = new List<ImageEntry>();
        var skipped = new List<SkippedJson>();
        foreach (var (line, fields) in rows.Skip(1))
        {
            if (fields.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }

            if (fields.Count <= Math.Max(pathAt, labelAt))
            {
                throw Bad($"Manifest \"{csv}\" line {line}: {fields.Count} field(s), but the header has {header.Count} and {header[Math.Max(pathAt, labelAt)]} is column {Math.Max(pathAt, labelAt) + 1}. Complete the row, and quote fields that contain commas (\"a,b.png\").");
            }

            string path = fields[pathAt].Trim();
            string label = fields[labelAt].Trim();
            if (path.Length == 0 || label.Length == 0)
            {
                string column = path.Length == 0 ? header[pathAt] : header[labelAt];
                throw Bad($"Manifest \"{csv}\" line {line}: the {column} column is empty. Every row needs an image path and a label; fill it in or delete the row.");
            }

            string resolved = Path.GetFullPath(Path.Combine(folder, path));
            if (!File.Exists(resolved))
            {
                if (skipMissing != true)
                {
                    string orSkip = skipMissing is null ? "." : ", or pass --skip-bad-images to leave missing files out.";
                    throw Bad($"Manifest \"{csv}\" line {line}: image \"{path}\" does not exist (looked for \"{resolved}\"; relative paths are relative to the manifest's folder). Fix the row{orSkip}");
                }

                skipped.Add(new SkippedJson(resolved, $"missing (manifest line {line})"));
                continue;
            }

            entries.Add(ImageEntry.FromFile(resolved, label));
        }

        if (entries.Count == 0)
        {
            throw Bad($"Manifest \"{csv}\" lists no {(skipped.Count > 0 ? "existing " : string.Empty)}images. Add rows of {header[pathAt]},{header[labelAt]} after the header.");
        }

        return new Loaded(ImageSet.FromEntries(entries), skipped, folder);
    }

    private static int Column(List<string> header, string name, string? fallback, string option, string csv)
    {
        int at = header.FindIndex(h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (at < 0 && fallback is not null)
        {
            at = header.FindIndex(h => h.Equals(fallback, StringComparison.OrdinalIgnoreCase));
        }

        return at >= 0 ? at
            : throw Bad($"Manifest \"{csv}\" has no column \"{name}\"{(fallback is null ? string.Empty : $" (nor \"{fallback}\")")} in its header row ({string.Join(", ", header.Select(h => $"\"{h}\""))}). Pass {option} <column>, or add a header row.");
    }

    private static CliException Bad(string message) => new(ExitCode.NoImages, message);

    /// <summary>RFC 4180 rows (quoted fields may hold commas, quotes as <c>""</c> and line breaks), each with its first line number.</summary>
    internal static List<(int Line, List<string> Fields)> ParseCsv(string text, string csv)
    {
        var rows = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1;
        int rowLine = 1;
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\n' or '\r')
            {
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 1 : 0;
                fields.Add(field.ToString());
                field.Clear();
                rows.Add((rowLine, fields));
                fields = [];
                rowLine = ++line;
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw Bad($"Manifest \"{csv}\" line {rowLine}: a quoted field is not closed. Close it with \" (write \"\" for a quote inside).");
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            rows.Add((rowLine, fields));
        }

        // Blank lines before the header do not make it.
        return rows.SkipWhile(r => r.Item2.All(string.IsNullOrWhiteSpace)).ToList();
    }

    public sealed record Settings(string? Path, string? PathColumn, string? LabelColumn);

    /// <summary>The images, the manifest rows left out (missing files, with --skip-bad-images), and the manifest's folder (null for a folder argument).</summary>
    public sealed record Loaded(ImageSet Images, IReadOnlyList<SkippedJson> Skipped, string? ManifestFolder);
}
