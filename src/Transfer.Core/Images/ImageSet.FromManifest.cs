using System.Text;

namespace Transfer.Images;

/// <content>Reading a CSV manifest of <c>path,label</c> rows.</content>
public sealed partial class ImageSet
{
    /// <summary>
    /// Reads a CSV manifest of <c>path,label</c> rows (RFC 4180 quoting; an optional header row <c>path,label</c>).
    /// Paths are relative to the manifest's folder and must stay inside it: <c>..</c> segments or absolute paths that
    /// leave it are refused. <see cref="FromManifest(string, ManifestLayout, ImageSetOptions?, CancellationToken)"/> reads
    /// other layouts (a header naming the columns, absolute paths).
    /// </summary>
    /// <param name="manifestPath">The CSV file.</param>
    /// <param name="options">Scan options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the scan between rows.</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">The manifest is missing or malformed, a path leaves the root, or a file is missing (under <see cref="BadImagePolicy.Fail"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ImageSet FromManifest(string manifestPath, ImageSetOptions? options = null, CancellationToken cancellationToken = default) =>
        FromManifest(manifestPath, ManifestLayout.PathLabel, options, cancellationToken);

    /// <summary>
    /// Reads a CSV manifest (RFC 4180 quoting) laid out as <paramref name="layout"/> says. Relative paths are relative
    /// to the manifest's folder. Blank rows are skipped; a missing file fails, or is listed in <see cref="Skipped"/>
    /// with its line under <see cref="BadImagePolicy.Skip"/>.
    /// </summary>
    /// <param name="manifestPath">The CSV file.</param>
    /// <param name="layout">The columns and where paths may point (<see cref="ManifestLayout.Named"/> for a header naming the columns).</param>
    /// <param name="options">Scan options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the scan between rows.</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">The manifest is missing, empty or malformed (a column missing from the header, a short row, an empty path or label), a path leaves the folder when <see cref="ManifestLayout.AllowPathsOutsideFolder"/> is off, or a file is missing (under <see cref="BadImagePolicy.Fail"/>); the message names the file, the line and the fix.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ImageSet FromManifest(string manifestPath, ManifestLayout layout, ImageSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
        ArgumentNullException.ThrowIfNull(layout);
        options ??= new ImageSetOptions();
        string full = Path.GetFullPath(manifestPath);
        if (!File.Exists(full))
        {
            throw new DatasetException($"Manifest \"{full}\" does not exist. Pass a CSV file of path,label rows.");
        }

        string root = Path.GetDirectoryName(full)!;
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        var entries = new List<ImageEntry>();
        var skipped = new List<SkippedImage>();
        var rows = CsvReader.Read(File.ReadAllText(full, Encoding.UTF8), full);
        rows.RemoveAll(r => r.Fields.All(string.IsNullOrWhiteSpace));
        var columns = ManifestColumns.Find(rows, layout, full);
        foreach (var (line, fields) in rows.Skip(columns.HeaderRows))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (layout.HasHeader ? fields.Count <= Math.Max(columns.Path, columns.Label) : fields.Count != 2)
            {
                throw new DatasetException(layout.HasHeader
                    ? $"Manifest \"{full}\" line {line}: {fields.Count} field(s), but the header has {columns.Header.Count} and {columns.Header[Math.Max(columns.Path, columns.Label)]} is column {Math.Max(columns.Path, columns.Label) + 1}. Complete the row, and quote fields that contain commas (\"a,b.png\")."
                    : $"Manifest \"{full}\" line {line}: expected 2 fields (path,label), found {fields.Count}. Quote fields that contain commas (\"a,b.png\").");
            }

            string relative = fields[columns.Path].Trim();
            string label = fields[columns.Label].Trim();
            if (relative.Length == 0 || label.Length == 0)
            {
                string what = layout.HasHeader ? $"the {columns.Header[relative.Length == 0 ? columns.Path : columns.Label]} column is empty" : $"empty {(relative.Length == 0 ? "path" : "label")}";
                throw new DatasetException($"Manifest \"{full}\" line {line}: {what}. Every row needs an image path and a label; fill it in or delete the row.");
            }

            string resolved = Path.GetFullPath(Path.Combine(root, relative));
            if (!layout.AllowPathsOutsideFolder && !resolved.StartsWith(rootWithSep, StringComparison.Ordinal))
            {
                throw new DatasetException($"Manifest \"{full}\" line {line}: path \"{relative}\" resolves to \"{resolved}\", outside the manifest's folder \"{root}\". Paths must stay inside that folder; move the manifest up or the images down, or set {nameof(ManifestLayout)}.{nameof(ManifestLayout.AllowPathsOutsideFolder)}.");
            }

            if (!File.Exists(resolved))
            {
                if (options.MissingFilePolicy == BadImagePolicy.Fail)
                {
                    throw new DatasetException($"Manifest \"{full}\" line {line}: image \"{relative}\" does not exist (looked for \"{resolved}\"; relative paths are relative to the manifest's folder). Fix the row, or set {nameof(ImageSetOptions.MissingFilePolicy)} = Skip to leave missing files out.");
                }

                skipped.Add(new SkippedImage(resolved, $"missing (manifest line {line})"));
                continue;
            }

            entries.Add(ImageEntry.FromFile(resolved, label));
        }

        if (entries.Count == 0)
        {
            throw new DatasetException($"Manifest \"{full}\" lists no {(skipped.Count > 0 ? "existing " : string.Empty)}images. Add one row per image ({(layout.HasHeader ? $"{columns.Header[columns.Path]},{columns.Header[columns.Label]} after the header" : "path,label")}).");
        }

        var classes = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new ImageSet(entries, classes, skipped, root);
    }
}
