using System.Text;

namespace Transfer.IO;

/// <summary>
/// The one way Transfer replaces a file (models, reports, cache segments and markers, exports): the content goes to a
/// temporary file in the same folder, is flushed to disk, and the temporary file is renamed over the target. Readers see
/// the old file or the whole new one, never a prefix; a failure (a full disk, a cancelled save, a throwing writer) deletes
/// the temporary file and leaves the old file as it was. Shared source: compiled into every Transfer assembly that writes.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes a file atomically.</summary>
    /// <param name="path">The file to write; its folder is created when missing.</param>
    /// <param name="write">Writes the content to the stream it is given (a new temporary file, readable and writable, positioned at 0).</param>
    /// <param name="tempName">The temporary file's name in the target's folder; <see langword="null"/> for <c>.{name}.{guid}.tmp</c>.</param>
    /// <param name="overwrite">Whether an existing file is replaced; when <see langword="false"/> and the file exists, the rename throws <see cref="IOException"/> (the temporary file is deleted).</param>
    /// <param name="cancellationToken">Checked after writing, before the rename.</param>
    /// <returns>The full path written.</returns>
    /// <exception cref="IOException">The file cannot be written or renamed; the old file, if any, is unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the old file, if any, is unchanged.</exception>
    public static string Write(string path, Action<Stream> write, string? tempName = null, bool overwrite = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, tempName ?? $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();

            // Rename is atomic within a folder: readers see the old file or the new one.
            File.Move(temp, full, overwrite);
            return full;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Commits a temporary file another writer filled (ONNX Runtime writes its optimized graph itself): flushes it to disk
    /// and renames it over <paramref name="path"/>; on failure the temporary file is deleted.
    /// </summary>
    /// <param name="temp">The filled temporary file, in <paramref name="path"/>'s folder.</param>
    /// <param name="path">The file to replace or create.</param>
    /// <param name="overwrite">Whether an existing file is replaced; when <see langword="false"/> and the file exists, this throws <see cref="IOException"/>.</param>
    /// <exception cref="IOException">The file cannot be flushed or renamed; the temporary file is gone.</exception>
    public static void Commit(string temp, string path, bool overwrite)
    {
        try
        {
            // Opened for writing: FileStream flushes to disk only a stream that can write (a read-only one skips fsync).
            using (var stream = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes bytes to a file atomically (see <see cref="Write(string, Action{Stream}, string?, bool, CancellationToken)"/>).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="bytes">The content.</param>
    /// <param name="tempName">The temporary file's name in the target's folder; <see langword="null"/> for the default.</param>
    /// <returns>The full path written.</returns>
    public static string WriteAllBytes(string path, ReadOnlyMemory<byte> bytes, string? tempName = null) =>
        Write(path, stream => stream.Write(bytes.Span), tempName);

    /// <summary>Writes text as UTF-8 without a byte-order mark, atomically.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="text">The content.</param>
    /// <returns>The full path written.</returns>
    public static string WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the caller's exception is the one to report.
        }
    }
}
