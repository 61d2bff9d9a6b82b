using System.Collections.Concurrent;

namespace Transfer.IO;

/// <summary>
/// An ONNX model written to the temp folder for ML.NET's <c>ApplyOnnxModel</c>, which reads its model from a file (and
/// reads it again when the chain is saved). The one owner of such files, with one rule: the file is deleted when this is
/// disposed, and at process exit if it is still there (a head that scores for the process's lifetime never disposes it).
/// Shared source, compiled into each Transfer assembly that builds ML.NET chains. Thread-safe.
/// </summary>
internal sealed class TemporaryOnnxFile : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);
    private static int s_exitHookAdded;

    private int _disposed;

    /// <summary>Writes the model to a new file in the temp folder (atomically, so no half-written file is left on failure).</summary>
    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="purpose">A word for the file name (<c>transfer-{purpose}-{guid}.onnx</c>), so a leftover file says what wrote it.</param>
    /// <exception cref="IOException">The file cannot be written (a full disk); no file is left behind.</exception>
    public TemporaryOnnxFile(ReadOnlyMemory<byte> model, string purpose)
    {
        if (Interlocked.Exchange(ref s_exitHookAdded, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"transfer-{purpose}-{Guid.NewGuid():N}.onnx");
        Live[path] = 0;
        try
        {
            FilePath = AtomicFile.WriteAllBytes(path, model);
        }
        catch
        {
            Live.TryRemove(path, out _);
            throw;
        }
    }

    /// <summary>Gets the file's full path.</summary>
    public string FilePath { get; }

    /// <summary>Gets the paths of the files written and not yet deleted, in this assembly (for tests).</summary>
    internal static ICollection<string> LivePaths => Live.Keys;

    /// <summary>Deletes the file (a file still mapped by ONNX Runtime on some systems stays until process exit).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && TryDelete(FilePath))
        {
            Live.TryRemove(FilePath, out _);
        }
    }

    /// <summary>Deletes every file not deleted yet: what the process-exit hook runs.</summary>
    /// <param name="which">Limits the files deleted (tests delete only their own); <see langword="null"/> for all.</param>
    internal static void DeleteAll(Func<string, bool>? which = null)
    {
        foreach (string path in Live.Keys.Where(p => which is null || which(p)))
        {
            if (TryDelete(path))
            {
                Live.TryRemove(path, out _);
            }
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
