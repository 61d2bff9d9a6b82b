using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Transfer.Hosting;

/// <summary>Healthy while a model serves; Degraded when the last reload failed (the previous model still serves), with the reason.</summary>
internal sealed class TransferModelHealthCheck(ReloadingPredictorPool pool) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = pool.Status;
        var data = new Dictionary<string, object>
        {
            ["model"] = status.ModelPath,
            ["generation"] = status.Generation,
            ["loadedUtc"] = status.LoadedUtc,
            ["classes"] = status.Classes.Count,
            ["poolSize"] = status.PoolSize,
        };
        return Task.FromResult(status.LastError is { } error
            ? HealthCheckResult.Degraded(error, data: data)
            : HealthCheckResult.Healthy($"Model #{status.Generation} serving {status.Classes.Count} classes from {status.ModelPath}.", data));
    }
}
