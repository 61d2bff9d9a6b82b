using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Transfer.Hosting;

/// <summary>
/// Checks the model file every <see cref="TransferPredictorOptions.ReloadPollInterval"/> and reloads it once a change
/// has held still for one interval. Polling, not file-system events: it works the same on container volumes and network
/// shares, where events are unreliable.
/// </summary>
internal sealed partial class ModelFileWatcher(ReloadingPredictorPool pool, ILogger<ModelFileWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!pool.Options.ReloadOnChange)
        {
            return;
        }

        using var timer = new PeriodicTimer(pool.Options.ReloadPollInterval);
        ModelFileSignature? previous = pool.ReadSignature();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    pool.ReloadIfChanged(previous);
                    previous = pool.ReadSignature();
                }
                catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                {
                    LogCheckFailed(logger, e, pool.ModelPath);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Checking the Transfer model file {Path} failed; the next check tries again")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string path);
}
