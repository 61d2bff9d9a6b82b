using System.Text;

namespace Transfer.Images;

/// <content>Reading a CSV manifest of <c>path,label</c> rows.</content>
public sealed partial class ImageSet
{
    /// <summary>
    /// Reads a CSV manifest of <c>path,label</c> rows (RFC 4180 quoting; an optional header row <c>path,label</c>).
    /// Paths are relative to the manifest's folder and must stay inside it: <c>..</c> segments or absolute paths that
    /// leave it are refused.
    /// </summary>
    /// <param name="manifestPath">The CSV file.</param>
    /// <param name="options">Scan options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the scan between rows.</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">The manifest is missing or malformed, a path leaves the root, or a file is missing (under <see cref="BadImagePolicy.Fail"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ImageSet FromManifest(string manifestPath, ImageSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
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
        for (int i = 0; i < rows.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (line, fields) = rows[i];
            if (i == 0 && fields.Count >= 2 && fields[0].Trim().Equals("path", StringComparison.OrdinalIgnoreCase) && fields[1].Trim().Equals("label", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (fields.Count == 1 && string.IsNullOrWhiteSpace(fields[0]))
            {
                continue;
            }

            if (fields.Count != 2)
            {
                throw new DatasetException($"Manifest \"{full}\" line {line}: expected 2 fields (path,label), found {fields.Count}. Quote fields that contain commas (\"a,b.png\").");
            }

            string relative = fields[0].Trim();
            string label = fields[1].Trim();
            if (relative.Length == 0 || label.Length == 0)
            {
                throw new DatasetException($"Manifest \"{full}\" line {line}: empty {(relative.Length == 0 ? "path" : "label")}. Every row needs a path and a label.");
            }

            string resolved = Path.GetFullPath(Path.Combine(root, relative));
            if (!resolved.StartsWith(rootWithSep, StringComparison.Ordinal))
            {
                throw new DatasetException($"Manifest \"{full}\" line {line}: path \"{relative}\" resolves to \"{resolved}\", outside the manifest's folder \"{root}\". Paths must stay inside that folder; move the manifest up or the images down.");
            }

            if (!File.Exists(resolved))
            {
                if (options.MissingFilePolicy == BadImagePolicy.Fail)
                {
                    throw new DatasetException($"Manifest \"{full}\" line {line}: file \"{resolved}\" does not exist. Fix the row, or set {nameof(ImageSetOptions.MissingFilePolicy)} = Skip to leave missing files out.");
                }

                skipped.Add(new SkippedImage(resolved, $"missing (manifest line {line})"));
                continue;
            }

            entries.Add(ImageEntry.FromFile(resolved, label));
        }

        if (entries.Count == 0)
        {
            throw new DatasetException($"Manifest \"{full}\" lists no usable images.");
        }

        var classes = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new ImageSet(entries, classes, skipped, root);
    }
}
