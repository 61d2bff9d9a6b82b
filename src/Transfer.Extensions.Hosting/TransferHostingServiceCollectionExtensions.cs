using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Transfer.Hosting;

/// <summary>Registers a Transfer model for an ASP.NET Core or worker app.</summary>
public static class TransferHostingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ReloadingPredictorPool"/> (a singleton) with its settings bound from the <c>"Transfer"</c>
    /// section of <paramref name="configuration"/> (or from <paramref name="configuration"/> itself when it is that section),
    /// validated when the host starts, and the watcher that reloads the model when its file changes.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The app's configuration, or its <c>"Transfer"</c> section.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTransferPredictorPool(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration is IConfigurationSection { Key: TransferPredictorOptions.DefaultSectionName } s ? s : configuration.GetSection(TransferPredictorOptions.DefaultSectionName);
        services.AddOptions<TransferPredictorOptions>().Bind(section);
        return AddCore(services);
    }

    /// <summary>Registers <see cref="ReloadingPredictorPool"/> with settings from code, validated when the host starts.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (at least <see cref="TransferPredictorOptions.ModelPath"/>).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTransferPredictorPool(this IServiceCollection services, Action<TransferPredictorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TransferPredictorOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>Adds a health check of the served model: Healthy, or Degraded with the reason when the last reload failed.</summary>
    /// <param name="builder">The health checks.</param>
    /// <param name="name">The check's name.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHealthChecksBuilder AddTransferModel(this IHealthChecksBuilder builder, string name = "transfer-model")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<TransferModelHealthCheck>(name, HealthStatus.Unhealthy, ["transfer", "model"]);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransferPredictorOptions>, TransferPredictorOptionsValidator>());
        services.AddOptions<TransferPredictorOptions>().ValidateOnStart();
        services.TryAddSingleton<ReloadingPredictorPool>();
        services.TryAddSingleton<TransferModelHealthCheck>();
        // Loads the model at start (not at the first request), then watches the file.
        services.AddHostedService(sp => new ModelLoadAtStart(sp.GetRequiredService<ReloadingPredictorPool>()));
        services.AddHostedService<ModelFileWatcher>();
        services.AddHealthChecks().AddTransferModel();
        return services;
    }

    private sealed class ModelLoadAtStart(ReloadingPredictorPool pool) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult(pool.Classes.Count);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
