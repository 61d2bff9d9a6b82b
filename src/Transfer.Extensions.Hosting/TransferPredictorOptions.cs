namespace Transfer.Hosting;

/// <summary>
/// Settings of <see cref="ReloadingPredictorPool"/>, usually bound from a configuration section (<c>"Transfer"</c>):
/// <code>{ "Transfer": { "ModelPath": "models/photos.zip", "PoolSize": 4 } }</code>
/// </summary>
public sealed class TransferPredictorOptions
{
    /// <summary>The configuration section <see cref="TransferHostingServiceCollectionExtensions.AddTransferPredictorPool(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/> reads by default.</summary>
    public const string DefaultSectionName = "Transfer";

    /// <summary>Gets or sets the model zip saved by Transfer. Required; a relative path is taken from the current directory.</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>Gets or sets the most predictions run at once (each on a predictor of its own); further requests wait. Default: half the cores, at least 1.</summary>
    public int PoolSize { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Gets or sets the ONNX Runtime threads of each predictor; 0 (the default) for the cores divided by <see cref="PoolSize"/>.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Gets or sets whether the model is loaded again when its file changes. Default: <see langword="true"/>.</summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>
    /// Gets or sets how often the file is checked (its size and last write time). A change is loaded once the file has
    /// stayed the same for one more interval, so a copy still being written is not read. Default: 2 seconds.
    /// </summary>
    public TimeSpan ReloadPollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
