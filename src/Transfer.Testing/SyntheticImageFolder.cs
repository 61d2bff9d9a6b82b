using Transfer.Images;

namespace Transfer.Testing;

/// <summary>
/// A folder of synthetic images, one sub-folder per class, made by <see cref="SyntheticImages.WriteToFolder"/>.
/// Disposing it deletes the folder and everything in it (a bottleneck cache at its default place included).
/// </summary>
public sealed class SyntheticImageFolder : IDisposable
{
    private readonly List<string> _files = [];
    private readonly SortedSet<string> _classes = new(StringComparer.Ordinal);
    private bool _disposed;

    internal SyntheticImageFolder(string? directory)
    {
        if (directory is null)
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("transfer-testing-images-").FullName;
        }
        else
        {
            Directory = Path.GetFullPath(directory);
            if (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
            {
                throw new ArgumentException($"Folder \"{Directory}\" is not empty; synthetic images are written to a new or empty folder, which is deleted on Dispose. Pass another folder or null for a temp folder.", nameof(directory));
            }

            System.IO.Directory.CreateDirectory(Directory);
        }
    }

    /// <summary>Gets the folder's full path.</summary>
    public string Directory { get; }

    /// <summary>Gets the class names (the sub-folders), in ordinal order.</summary>
    public IReadOnlyList<string> Classes => [.. _classes];

    /// <summary>Gets the full paths of every file written, broken files included, in the order written.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Loads the folder as an image set (<see cref="ImageSet.FromDirectory"/>).</summary>
    /// <param name="options">Scan options; <see langword="null"/> for the defaults.</param>
    /// <returns>The image set.</returns>
    /// <exception cref="ObjectDisposedException">The folder was disposed.</exception>
    public ImageSet Load(ImageSetOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ImageSet.FromDirectory(Directory, options);
    }

    /// <summary>Adds a broken image file to a class folder, for negative tests.</summary>
    /// <param name="kind">How the file is broken.</param>
    /// <param name="className">The class folder to put it in (created if needed).</param>
    /// <param name="fileName">The file name; <see langword="null"/> for <c>broken-kind-n.png</c> (an image extension, so folder scans include it).</param>
    /// <returns>The file's full path.</returns>
    /// <exception cref="ArgumentException">The class or file name is not a plain name.</exception>
    /// <exception cref="ObjectDisposedException">The folder was disposed.</exception>
    public string AddBroken(BrokenImageKind kind, string className, string? fileName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fileName ??= $"broken-{kind.ToString().ToLowerInvariant()}-{_files.Count}.png";
        var format = Path.GetExtension(fileName).ToUpperInvariant() switch
        {
            ".JPG" or ".JPEG" => SyntheticImageFormat.Jpeg,
            ".BMP" => SyntheticImageFormat.Bmp,
            ".WEBP" => SyntheticImageFormat.Webp,
            _ => SyntheticImageFormat.Png,
        };
        return Write(className, fileName, SyntheticImages.Broken(kind, format));
    }

    /// <summary>Deletes the folder and everything in it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        TemporaryDirectory.Delete(Directory);
    }

    internal string Write(string className, string fileName, byte[] bytes)
    {
        CheckName(className, nameof(className));
        CheckName(fileName, nameof(fileName));
        string classDirectory = Path.Combine(Directory, className);
        System.IO.Directory.CreateDirectory(classDirectory);
        string path = Path.Combine(classDirectory, fileName);
        File.WriteAllBytes(path, bytes);
        _files.Add(path);
        _classes.Add(className);
        return path;
    }

    private static void CheckName(string name, string parameter)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"Parameter \"{parameter}\" must be a plain file or folder name, was \"{name}\".", parameter);
        }
    }
}
