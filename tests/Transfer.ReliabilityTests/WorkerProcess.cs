using System.Collections.Concurrent;
using System.Diagnostics;

namespace Transfer.ReliabilityTests;

/// <summary>This test assembly started as a child process (<see cref="Program"/>), with its output read line by line.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly ConcurrentQueue<string> _all = new();
    private readonly System.Text.StringBuilder _error = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _all.Enqueue(e.Data);
                _lines.Add(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_error)
                {
                    _error.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _all) + "\n" + StandardError;

    public string StandardError
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public static WorkerProcess Start(params string[] args)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start the worker."));
    }

    /// <summary>Waits for the first line that satisfies <paramref name="match"/>.</summary>
    public string WaitFor(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_lines.TryTake(out var line, TimeSpan.FromMilliseconds(200)))
            {
                if (match(line))
                {
                    return line;
                }
            }
            else if (_lines.IsCompleted)
            {
                break;
            }
        }

        Assert.Fail($"The worker did not print the expected line within {timeout}. Output:\n{Output}");
        return string.Empty;
    }

    /// <summary>Sends SIGKILL (no handlers, no finally blocks, no flushing) and waits for the process to go.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(30)), "The killed worker did not exit.");
    }

    /// <summary>Waits for a normal end and returns its last line.</summary>
    public string WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"The worker hung: no exit within {timeout}. Output:\n{Output}");
        }

        _process.WaitForExit();
        Assert.True(_process.ExitCode == 0, $"The worker crashed with exit code {_process.ExitCode}. Output:\n{Output}");
        return _all.LastOrDefault() ?? string.Empty;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        _lines.Dispose();
    }
}
