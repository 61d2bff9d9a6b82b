using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Transfer.Images;

/// <summary>
/// A labelled set of images with a deterministic class order: from a folder with one sub-folder per class,
/// a CSV manifest of <c>path,label</c>, an ML.NET <see cref="IDataView"/>, or entries built in code.
/// </summary>
public sealed class ImageSet
{
    private ImageSet(IReadOnlyList<ImageEntry> entries, IReadOnlyList<string> classes, IReadOnlyList<SkippedImage> skipped, string? root)
    {
        Entries = entries;
        Classes = classes;
        Skipped = skipped;
        Root = root;
    }

    /// <summary>Gets the images.</summary>
    public IReadOnlyList<ImageEntry> Entries { get; }

    /// <summary>Gets the class names in their fixed order (ordinal sort of the labels): class index <c>i</c> is <c>Classes[i]</c>.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the files left out while scanning (hidden, not an image, missing), with reasons.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Gets the folder the set was scanned from, if any (the default place for its bottleneck cache).</summary>
    public string? Root { get; }

    /// <summary>Gets the number of images.</summary>
    public int Count => Entries.Count;

    /// <summary>Creates a set from entries built in code.</summary>
    /// <param name="entries">The images.</param>
    /// <param name="classes">The class order to use; by default the ordinal sort of the labels present.</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">An entry's label is not in <paramref name="classes"/>.</exception>
    public static ImageSet FromEntries(IEnumerable<ImageEntry> entries, IReadOnlyList<string>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        var classList = classes ?? list.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var known = new HashSet<string>(classList, StringComparer.Ordinal);
        var unknown = list.Where(e => !known.Contains(e.Label)).Select(e => e.Label).Distinct(StringComparer.Ordinal).Take(5).ToList();
        if (unknown.Count > 0)
        {
            throw new DatasetException($"Labels {string.Join(", ", unknown.Select(u => $"\"{u}\""))} are not among the classes [{string.Join(", ", classList)}]. Pass the full class list or leave it out to take the labels present.");
        }

        return new ImageSet(list, classList, [], null);
    }

    /// <summary>
    /// Scans a folder with one sub-folder per class (<c>root/cat/1.jpg</c>, <c>root/dog/2.png</c>). Images in nested
    /// folders below a class folder belong to that class. Hidden files and files that are not images are skipped and reported.
    /// </summary>
    /// <param name="directory">The root folder.</param>
    /// <param name="options">Scan options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the scan between files.</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">The folder is missing, has no class folders, or a class folder has no images.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ImageSet FromDirectory(string directory, ImageSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new ImageSetOptions();
        string root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new DatasetException($"Image folder \"{root}\" does not exist. Pass a folder that holds one sub-folder per class.");
        }

        var classDirs = Directory.EnumerateDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (classDirs.Count == 0)
        {
            throw new DatasetException($"Image folder \"{root}\" has no class sub-folders. Put the images of each class in a sub-folder named after the class (e.g. \"{Path.Combine(root, "cat")}\").");
        }

        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        string rootReal = RealPath(root);
        var followedLinks = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<ImageEntry>();
        var skipped = new List<SkippedImage>();
        var classes = new List<string>();
        var empty = new List<string>();
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.System,
            MaxRecursionDepth = options.MaxDepth,
            ReturnSpecialDirectories = false,
        };

        foreach (string classDir in classDirs)
        {
            string label = Path.GetFileName(classDir);
            int before = entries.Count;
            cancellationToken.ThrowIfCancellationRequested();
            foreach (string file in EnumerateFiles(classDir, enumeration, rootReal, followedLinks, skipped).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                string relative = Path.GetRelativePath(classDir, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
                {
                    skipped.Add(new SkippedImage(file, "hidden file"));
                }
                else if (!extensions.Contains(Path.GetExtension(file)))
                {
                    skipped.Add(new SkippedImage(file, $"not an image extension ({Path.GetExtension(file)}); allowed: {string.Join(" ", options.Extensions)}"));
                }
                else
                {
                    entries.Add(ImageEntry.FromFile(file, label));
                }
            }

            if (entries.Count == before)
            {
                empty.Add(classDir);
            }
            else
            {
                classes.Add(label);
            }
        }

        if (empty.Count > 0)
        {
            if (!options.AllowEmptyClasses)
            {
                throw new DatasetException($"Class folder(s) with no images: {string.Join(", ", empty.Select(e => $"\"{e}\""))}. Add images, remove the folder, or set {nameof(ImageSetOptions)}.{nameof(ImageSetOptions.AllowEmptyClasses)} = true to leave them out.");
            }

            skipped.AddRange(empty.Select(e => new SkippedImage(e, "class folder with no images")));
        }

        if (entries.Count == 0)
        {
            throw new DatasetException($"Image folder \"{root}\" holds no images with the extensions {string.Join(" ", options.Extensions)}.");
        }

        return new ImageSet(entries, classes, skipped, root);
    }

    /// <summary>
    /// The files below a class folder. A symbolic link to a folder is followed once when it leads outside the dataset
    /// (data kept elsewhere); a link back into the dataset (to the folder itself, a parent or another class) or to a
    /// folder already followed would count images twice or loop, so it is not followed and is reported.
    /// </summary>
    private static System.IO.Enumeration.FileSystemEnumerable<string> EnumerateFiles(string classDir, EnumerationOptions options, string rootReal, HashSet<string> followedLinks, List<SkippedImage> skipped)
    {
        string rootWithSep = rootReal.EndsWith(Path.DirectorySeparatorChar) ? rootReal : rootReal + Path.DirectorySeparatorChar;
        return new System.IO.Enumeration.FileSystemEnumerable<string>(classDir, (ref System.IO.Enumeration.FileSystemEntry e) => e.ToFullPath(), options)
        {
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry e) => !e.IsDirectory,
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry e) =>
            {
                if ((e.Attributes & FileAttributes.ReparsePoint) == 0)
                {
                    return true;
                }

                string link = e.ToFullPath();
                string target = RealPath(link);
                if (target == rootReal || target.StartsWith(rootWithSep, StringComparison.Ordinal))
                {
                    skipped.Add(new SkippedImage(link, $"symbolic link to \"{target}\", inside the dataset: not followed, so no image is counted twice and no loop is walked"));
                    return false;
                }

                if (!followedLinks.Add(target))
                {
                    skipped.Add(new SkippedImage(link, $"symbolic link to \"{target}\", already followed: not followed again (a loop or a second link to the same folder)"));
                    return false;
                }

                return true;
            },
        };
    }

    /// <summary>The path with every symbolic link resolved (the path itself when it is not a link or cannot be resolved).</summary>
    private static string RealPath(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            string resolved = target?.FullName ?? info.FullName;

            // A parent folder may itself be a link: resolve it too, so two spellings of one folder compare equal.
            string? parent = Path.GetDirectoryName(resolved);
            return parent is null || parent == resolved ? resolved : Path.Combine(RealPath(parent), Path.GetFileName(resolved));
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

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

    /// <summary>
    /// Takes images from an ML.NET data view: an image column holding a file path (text) or encoded bytes
    /// (<c>byte[]</c> / vector of bytes, as <c>LoadRawImageBytes</c> makes), and a label column (text, or a key with text values).
    /// </summary>
    /// <param name="data">The data view.</param>
    /// <param name="imageColumn">The image column's name.</param>
    /// <param name="labelColumn">The label column's name.</param>
    /// <param name="imageFolder">For path columns: the folder relative paths are resolved against (default: the current folder).</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">A column is missing or of an unsupported type.</exception>
    public static ImageSet FromDataView(IDataView data, string imageColumn, string labelColumn, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(imageColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        var imageCol = data.Schema.GetColumnOrNull(imageColumn) ?? throw new DatasetException($"Column \"{imageColumn}\" is not in the data view (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}). Pass the name of the image path or bytes column.");
        var labelCol = data.Schema.GetColumnOrNull(labelColumn) ?? throw new DatasetException($"Column \"{labelColumn}\" is not in the data view (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}). Pass the name of the label column.");
        var labelGetterFactory = LabelReader.Create(labelCol);
        bool isPath = imageCol.Type is TextDataViewType;
        bool isBytes = imageCol.Type is VectorDataViewType { ItemType: NumberDataViewType n } && n.RawType == typeof(byte);
        if (!isPath && !isBytes)
        {
            throw new DatasetException($"Column \"{imageColumn}\" has type {imageCol.Type}; expected text (a file path) or a vector of bytes (encoded image, as LoadRawImageBytes makes).");
        }

        string folder = Path.GetFullPath(imageFolder ?? Directory.GetCurrentDirectory());
        var entries = new List<ImageEntry>();
        using var cursor = data.GetRowCursor(new[] { imageCol, labelCol });
        var readLabel = labelGetterFactory(cursor);
        var pathGetter = isPath ? cursor.GetGetter<ReadOnlyMemory<char>>(imageCol) : null;
        var bytesGetter = isBytes ? cursor.GetGetter<VBuffer<byte>>(imageCol) : null;
        ReadOnlyMemory<char> path = default;
        VBuffer<byte> bytes = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            string label = readLabel();
            if (pathGetter is not null)
            {
                pathGetter(ref path);
                entries.Add(ImageEntry.FromFile(Path.Combine(folder, path.ToString()), label));
            }
            else
            {
                bytesGetter!(ref bytes);
                entries.Add(ImageEntry.FromBytes(bytes.DenseValues().ToArray(), label, $"{imageColumn}[row {row}]"));
            }

            row++;
        }

        if (entries.Count == 0)
        {
            throw new DatasetException($"The data view has no rows; nothing to train on.");
        }

        var classes = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new ImageSet(entries, classes, [], isPath ? folder : null);
    }

    /// <summary>Counts the images of each class, in class order.</summary>
    /// <returns>Class name → count.</returns>
    public IReadOnlyDictionary<string, int> CountByClass()
    {
        var counts = Classes.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        foreach (var e in Entries)
        {
            counts[e.Label]++;
        }

        return counts;
    }

    /// <summary>Gets the class index of each entry (its position in <see cref="Classes"/>).</summary>
    /// <returns>One index per entry.</returns>
    public int[] ClassIndices()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Classes.Count; i++)
        {
            index[Classes[i]] = i;
        }

        var result = new int[Entries.Count];
        for (int i = 0; i < Entries.Count; i++)
        {
            result[i] = index[Entries[i].Label];
        }

        return result;
    }

    /// <summary>
    /// Splits the set per class (stratified) into train, validation and test, reproducibly for a seed.
    /// Each class keeps at least one training image.
    /// </summary>
    /// <param name="testFraction">Fraction of each class for testing, in [0, 1).</param>
    /// <param name="validationFraction">Fraction of each class for validation, in [0, 1).</param>
    /// <param name="seed">The random seed.</param>
    /// <returns>The split; all three parts share this set's class order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A fraction is outside [0, 1) or together they reach 1.</exception>
    public ImageSetSplit Split(double testFraction, double validationFraction = 0, int seed = 42)
    {
        if (testFraction is < 0 or >= 1 || validationFraction is < 0 or >= 1 || testFraction + validationFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"Parameters \"testFraction\" and \"validationFraction\" must each be in [0, 1) and sum below 1, were {testFraction} and {validationFraction}.");
        }

        var train = new List<ImageEntry>();
        var validation = new List<ImageEntry>();
        var test = new List<ImageEntry>();
        var random = new Random(seed);
        foreach (var group in Entries.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
            random.Shuffle(items);
            int n = items.Length;
            int nTest = (int)Math.Round(n * testFraction);
            int nValidation = (int)Math.Round(n * validationFraction);
            while (nTest + nValidation >= n && nTest + nValidation > 0)
            {
                if (nValidation > 0)
                {
                    nValidation--;
                }
                else
                {
                    nTest--;
                }
            }

            test.AddRange(items.Take(nTest));
            validation.AddRange(items.Skip(nTest).Take(nValidation));
            train.AddRange(items.Skip(nTest + nValidation));
        }

        return new ImageSetSplit(
            new ImageSet(train, Classes, Skipped, Root),
            new ImageSet(validation, Classes, [], Root),
            new ImageSet(test, Classes, [], Root));
    }
}
