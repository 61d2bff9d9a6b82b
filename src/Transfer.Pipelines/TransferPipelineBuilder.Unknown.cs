using Transfer.Models;

namespace Transfer.Pipelines;

/// <summary>The "unknown" threshold of the builder.</summary>
public sealed partial class TransferPipelineBuilder
{
    private double _unknownRate = UnknownRejection.DefaultFalseRejectionRate;

    /// <summary>
    /// Sets the false-rejection rate of the stored "unknown" threshold (<see cref="ModelManifest.Unknown"/>): every run
    /// chooses, on held-out predictions (out-of-fold by default), the highest-probability threshold below which about this
    /// fraction of the known classes' images falls; <c>PredictorOptions.RejectUnknown</c> then answers "unknown" below it.
    /// </summary>
    /// <param name="rate">The fraction, in [0, 1); the default is <see cref="UnknownRejection.DefaultFalseRejectionRate"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    public TransferPipelineBuilder UnknownFalseRejectionRate(double rate)
    {
        UnknownRejection.CheckRate(rate, nameof(rate));
        _unknownRate = rate;
        return this;
    }
}
