using System.Diagnostics;
using System.Globalization;

namespace Transfer.Caching;

/// <content>Temporary files: those of writers that are gone are deleted.</content>
public sealed partial class BottleneckCache
{
    private int DeleteStaleTempFiles()
    {
        int deleted = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.TopDirectoryOnly))
            {
                if (file.Name.EndsWith(SegmentFile.TempExtension, StringComparison.Ordinal) && IsStale(file))
                {
                    try
                    {
                        file.Delete();
                        deleted++;
                        CacheLog.TempFileDeleted(Logger, file.FullName);
                    }
                    catch (IOException)
                    {
                        // Committed or deleted meanwhile.
                    }
                }
            }
        }

        return deleted;
    }

    // Name: tmp-{machine}-{pid}-{guid}.partial. Stale when its writer is a process of this machine that is gone, or when old.
    private bool IsStale(FileInfo file)
    {
        if (DateTime.UtcNow - file.LastWriteTimeUtc > Options.StaleTempFileAge)
        {
            return true;
        }

        string[] parts = file.Name.Split('-');
        if (parts.Length < 4 || !int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return false;
        }

        string machine = string.Join('-', parts[1..^2]);
        if (!string.Equals(machine, Environment.MachineName, StringComparison.Ordinal))
        {
            return false;
        }

        if (pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
