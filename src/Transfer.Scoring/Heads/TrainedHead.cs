using Microsoft.ML;
using Transfer.Featurization;

namespace Transfer.Heads;

/// <summary>A trained classification head: features in, one probability per class out.</summary>
public abstract class TrainedHead
{
    /// <summary>Initializes the head.</summary>
    /// <param name="classes">Class names in class-index order.</param>
    /// <param name="featureLength">Expected feature length.</param>
    protected TrainedHead(IReadOnlyList<string> classes, int featureLength)
    {
        Classes = classes;
        FeatureLength = featureLength;
    }

    /// <summary>Gets the class names in class-index order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the feature length the head expects.</summary>
    public int FeatureLength { get; }

    /// <summary>Gets the per-epoch training history of a neural head, or <see langword="null"/> for heads trained without epochs (ML.NET trainers) or loaded from a file.</summary>
    public virtual Neural.TrainingHistory? History => null;

    /// <summary>Gets the trainer's name (e.g. <c>lbfgs</c>).</summary>
    public abstract string TrainerName { get; }

    /// <summary>Computes class probabilities for a batch of feature rows. Thread-safe.</summary>
    /// <param name="features">Row-major features, <paramref name="count"/> × <see cref="FeatureLength"/>.</param>
    /// <param name="count">Number of rows.</param>
    /// <param name="probabilities">Receives <paramref name="count"/> × class-count probabilities.</param>
    public abstract void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities);

    /// <summary>Computes class probabilities for every row of a matrix.</summary>
    /// <param name="features">The features.</param>
    /// <returns>Row-major probabilities, rows × class count.</returns>
    public float[] PredictProbabilities(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new float[features.Count * Classes.Count];
        PredictProbabilities(features.Values.AsSpan(0, features.Count * features.Dimension), features.Count, result);
        return result;
    }

    /// <summary>
    /// Gets the ML.NET transformer that scores this head inside a saved model: it reads a <c>Features</c> vector column
    /// and adds <c>Score</c> (probabilities in class order) and <c>PredictedLabel</c> (text). <see cref="Models.TransferModel"/>
    /// appends it after the backbone; the ML.NET drop-in appends its steps to its own chain.
    /// </summary>
    public abstract ITransformer ScoringTransformer { get; }
}
