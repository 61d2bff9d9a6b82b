using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Transfer.IO;

/// <summary>
/// An ONNX model written to the temp folder for ML.NET's <c>ApplyOnnxModel</c>, which reads its model from a file (and
/// reads it again when the chain is saved). The one owner of such files, with one rule: the file is deleted when this is
/// disposed, and at process exit if it is still there (a head that scores for the process's lifetime never disposes it).
/// A process killed before its exit hook runs (SIGKILL, a test host torn down) leaves its files behind, so each name
/// carries the writing process's id and the first file a process writes starts a sweep of the temp folder that deletes
/// the files of processes no longer running (<see cref="SweepLeftovers"/>).
/// Shared source, compiled into each Transfer assembly that builds ML.NET chains. Thread-safe.
/// </summary>
internal sealed partial class TemporaryOnnxFile : IDisposable
{
    /// <summary>How old a dead process's file must be before a sweep deletes it (a margin for a reused process id).</summary>
    internal static readonly TimeSpan LeftoverMinimumAge = TimeSpan.FromMinutes(10);

    /// <summary>How old a file named before process ids were in the names must be before a sweep deletes it.</summary>
    internal static readonly TimeSpan UnattributedMinimumAge = TimeSpan.FromDays(1);

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
            string folder = System.IO.Path.GetTempPath();
            _ = Task.Run(() => SweepLeftovers(folder, DateTime.UtcNow, IsRunning));
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"transfer-{purpose}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.onnx");
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

    /// <summary>
    /// Deletes the files this class wrote in <paramref name="folder"/> for processes that are no longer running
    /// (<c>transfer-{purpose}-{pid}-{guid}.onnx</c>, last written at least <see cref="LeftoverMinimumAge"/> ago) and files
    /// named before the process id was in the name once they are <see cref="UnattributedMinimumAge"/> old. Never throws:
    /// a file that cannot be deleted or read is left for the next sweep.
    /// </summary>
    /// <param name="folder">The folder to sweep (the temp folder).</param>
    /// <param name="utcNow">The current time.</param>
    /// <param name="isRunning">Whether a process id belongs to a running process.</param>
    /// <returns>The number of files deleted.</returns>
    internal static int SweepLeftovers(string folder, DateTime utcNow, Func<int, bool> isRunning)
    {
        int deleted = 0;
        try
        {
            foreach (string path in Directory.EnumerateFiles(folder, "transfer-*.onnx"))
            {
                var name = LeftoverName().Match(System.IO.Path.GetFileName(path));
                if (!name.Success || Live.ContainsKey(path))
                {
                    continue;
                }

                TimeSpan age = utcNow - File.GetLastWriteTimeUtc(path);
                bool leftover = name.Groups["pid"].Success
                    ? age >= LeftoverMinimumAge && int.TryParse(name.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !isRunning(pid)
                    : age >= UnattributedMinimumAge;
                if (leftover && TryDelete(path))
                {
                    deleted++;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            // An unreadable temp folder: nothing to sweep this time.
        }

        return deleted;
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no process has this id
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return true; // cannot tell: keep the file
        }
    }

    [GeneratedRegex(@"^transfer-[a-z0-9]+-(?:(?<pid>[0-9]{1,10})-)?[0-9a-f]{32}\.onnx$", RegexOptions.CultureInvariant)]
    private static partial Regex LeftoverName();
}
