using System.Diagnostics;
using System.Reflection;

namespace Transfer.Core.Tests.Caching;

/// <summary>Starts Transfer.CacheWorker (built with this test project) as a child process.</summary>
internal static class CacheWorkerProcess
{
    public static string WorkerPath
    {
        get
        {
            string? path = typeof(CacheWorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "CacheWorkerPath")?.Value;
            Assert.False(string.IsNullOrEmpty(path), "The test assembly lacks the CacheWorkerPath metadata; build it with its csproj (EmbedCacheWorkerPath target).");
            Assert.True(File.Exists(path), $"Transfer.CacheWorker was not built at {path}; build tests/Transfer.Core.Tests, which references it.");
            return path!;
        }
    }

    public static Process Start(string cache, string fingerprint, int dimension, int count, int segmentSize, int pauseMs, bool descending = false)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
            ? hostPath
            : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            WorkerPath, "--cache", cache, "--fingerprint", fingerprint, "--dimension", dimension.ToString(), "--first", "0",
            "--count", count.ToString(), "--segment-size", segmentSize.ToString(), "--batch", "32", "--pause-ms", pauseMs.ToString(),
        })
        {
            info.ArgumentList.Add(argument);
        }

        if (descending)
        {
            info.ArgumentList.Add("--descending");
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the cache worker.");
    }

    public static string RunToEnd(Process process, TimeSpan timeout)
    {
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The cache worker did not finish within {timeout}.");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"The cache worker exited with {process.ExitCode}: {output.Result} {error.Result}");
        Assert.StartsWith("ready", output.Result, StringComparison.Ordinal);
        return output.Result;
    }
}
