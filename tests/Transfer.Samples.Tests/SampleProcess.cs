using System.Diagnostics;
using System.Text;

namespace Transfer.Samples.Tests;

/// <summary>Runs a built sample as a child process (<c>dotnet Sample.dll args</c>) and captures its output.</summary>
internal static class SampleProcess
{
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static ProcessStartInfo StartInfo(string sample, IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(TestData.SampleDll(sample));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["NO_COLOR"] = "1";
        return info;
    }

    /// <summary>Runs the sample to its end (killed after <paramref name="timeout"/>, which fails the test).</summary>
    public static async Task<SampleResult> RunAsync(string sample, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        using var process = new Process { StartInfo = StartInfo(sample, args, workingDirectory) };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{sample} {string.Join(' ', args)} did not finish within {timeout}. Output:\n{stdout}\n{stderr}");
        }

        // WaitForExitAsync returns after the redirected streams reach their end.
        return new SampleResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>What a sample run printed, and its exit code.</summary>
internal sealed record SampleResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
