using System.Diagnostics;
using System.Text;

namespace Transfer.PackageTests;

/// <summary>Runs the <c>dotnet</c> CLI (or a tool) as a child process with a clean environment and a time limit.</summary>
internal static class DotNet
{
    public static async Task<ProcessRun> RunAsync(string workingDirectory, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null, string fileName = "dotnet")
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // 'dotnet test' leaves MSBuild variables pointing at its own build; a child build must find its own SDK setup.
        foreach (string key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.Equals("NUGET_PACKAGES", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no build servers left running after the test
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"'{fileName} {string.Join(' ', start.ArgumentList)}' did not finish within {timeout}; output:\n{Text(output)}");
        }

        process.WaitForExit(); // flushes the asynchronous output readers
        return new ProcessRun($"{fileName} {string.Join(' ', start.ArgumentList)}", process.ExitCode, Text(output), clock.Elapsed);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

/// <summary>A finished process: its command, exit code, stdout and stderr interleaved, and how long it took.</summary>
internal sealed record ProcessRun(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    public ProcessRun EnsureSuccess()
    {
        Assert.True(ExitCode == 0, ToString());
        return this;
    }

    public override string ToString() => $"'{Command}' exited {ExitCode} after {Elapsed.TotalSeconds:F0} s:\n{Output}";
}
