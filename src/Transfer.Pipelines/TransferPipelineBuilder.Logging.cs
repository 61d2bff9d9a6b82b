using Microsoft.Extensions.Logging;

namespace Transfer.Pipelines;

/// <content>Where the pipeline logs.</content>
public sealed partial class TransferPipelineBuilder
{
    private ILoggerFactory? _loggerFactory;

    /// <summary>
    /// Logs the run to a logger factory: each stage's start and end and the head choice (Information), and the warnings of
    /// the parts the pipeline drives: a corrupt bottleneck cache segment quarantined, a GPU asked for but the CPU used, an
    /// int8 backbone that missed its accuracy guard. A logger set on the parts' own options
    /// (<see cref="Featurization.FeaturizerOptions.LoggerFactory"/>, <see cref="Backbones.Quantization.QuantizationOptions.Logger"/>)
    /// still wins. docs/OBSERVABILITY.md lists the categories and events. Default: no logging.
    /// </summary>
    /// <param name="loggerFactory">The logger factory, e.g. the host's.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }
}
