using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// Stops training when a validation metric has not improved for <see cref="Patience"/> epochs, and keeps the best epoch's weights.
/// </summary>
/// <remarks>
/// Unlike ML.NET's <c>ImageClassificationTrainer</c>, the best epoch's weights are restored by default, and early stopping
/// never silently turns itself off: without validation data, training fails unless
/// <see cref="NeuralHeadOptions.AllowNoValidation"/> is set.
/// </remarks>
public sealed class EarlyStopping
{
    /// <summary>The default value of <see cref="Patience"/>.</summary>
    public const int DefaultPatience = 5;

    /// <summary>The default value of <see cref="MinDelta"/>.</summary>
    public const double DefaultMinDelta = 0.0;

    /// <summary>Gets or sets the metric to watch.</summary>
    /// <value>The default value is <see cref="EarlyStoppingMetric.ValidationLoss"/> (as Keras' <c>EarlyStopping</c>).</value>
    public EarlyStoppingMetric Metric { get; set; } = EarlyStoppingMetric.ValidationLoss;

    /// <summary>Gets or sets how many epochs without improvement end training.</summary>
    /// <value>The default value is 5. Must be at least 1.</value>
    public int Patience { get; set; } = DefaultPatience;

    /// <summary>Gets or sets the smallest change of the metric that counts as an improvement.</summary>
    /// <value>The default value is 0 (any improvement counts, as Keras). Must be zero or positive.</value>
    public double MinDelta { get; set; } = DefaultMinDelta;

    /// <summary>Gets or sets a value indicating whether the trained head keeps the best epoch's weights rather than the last epoch's.</summary>
    /// <value>The default value is <see langword="true"/> (as Hugging Face <c>load_best_model_at_end</c>).</value>
    public bool RestoreBestWeights { get; set; } = true;

    /// <summary>Adds these settings' problems, each named <c>EarlyStopping.…</c>, to <paramref name="problems"/>.</summary>
    internal void Validate(ValidationProblems problems)
    {
        if (Patience < 1)
        {
            problems.Add($"EarlyStopping.Patience must be at least 1, was {Patience}.");
        }

        if (!(MinDelta >= 0))
        {
            problems.Add($"EarlyStopping.MinDelta must be zero or positive, was {MinDelta.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!Enum.IsDefined(Metric))
        {
            problems.Add($"EarlyStopping.Metric must be ValidationLoss or ValidationAccuracy, was {(int)Metric}.");
        }
    }
}
