using System.Diagnostics;
using System.Text;

namespace Transfer.Samples.Tests;

/// <summary>The WebService sample running as a child process on a free loopback port; disposing it stops the process.</summary>
internal sealed class WebServiceHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WebServiceHost(Process process, Uri address)
    {
        _process = process;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the service (port 0: the OS picks a free port) and waits until it says where it listens.</summary>
    public static async Task<WebServiceHost> StartAsync(string modelPath, long maxUploadBytes, int poolSize)
    {
        var info = SampleProcess.StartInfo("WebService", ["--model", modelPath, "--urls", "http://127.0.0.1:0", "--MaxUploadBytes", $"{maxUploadBytes}", "--PoolSize", $"{poolSize}"]);
        var process = new Process { StartInfo = info };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("WebService closed its output before listening."));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            const string Prefix = "Listening on ";
            if (e.Data.StartsWith(Prefix, StringComparison.Ordinal))
            {
                listening.TrySetResult(new Uri(e.Data[Prefix.Length..].Trim()));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(3));
            var host = new WebServiceHost(process, address);
            lock (log)
            {
                host._log.Append(log);
            }

            return host;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            Stop(process);
            string output;
            lock (log)
            {
                output = log.ToString();
            }

            throw new InvalidOperationException($"WebService did not start ({e.Message}). Output:\n{output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.WaitForExit(10_000);
    }
}
