namespace Transfer.Images;

/// <content>Scanning a folder with one sub-folder per class, following symbolic links safely.</content>
public sealed partial class ImageSet
{
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
}
