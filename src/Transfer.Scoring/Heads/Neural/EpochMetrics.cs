namespace Transfer.Heads.Neural;

/// <summary>Metrics of one training epoch, reported through <see cref="IProgress{T}"/> and <c>NeuralHeadOptions.EpochCompleted</c>.</summary>
public sealed class EpochMetrics
{
    /// <summary>Gets the epoch number, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>Gets the number of epochs planned (early stopping may end training sooner).</summary>
    public required int TotalEpochs { get; init; }

    /// <summary>Gets the number of mini-batches processed in this epoch.</summary>
    public required int Batches { get; init; }

    /// <summary>Gets the training accuracy, averaged over the epoch's batches as they were trained (with dropout, as Keras reports it).</summary>
    public required double TrainAccuracy { get; init; }

    /// <summary>Gets the training cross-entropy against the true labels (without label smoothing or class weights), averaged over the epoch's batches as trained.</summary>
    public required double TrainCrossEntropy { get; init; }

    /// <summary>Gets the validation accuracy after the epoch, or <see langword="null"/> without validation data.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Gets the validation cross-entropy after the epoch, or <see langword="null"/> without validation data.</summary>
    public double? ValidationCrossEntropy { get; init; }

    /// <summary>Gets the learning rate of the epoch's last batch.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Gets the wall-clock time the epoch took, validation included.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"epoch {Epoch}/{TotalEpochs}: train acc {TrainAccuracy:F4} loss {TrainCrossEntropy:F4}, val acc {ValidationAccuracy?.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) ?? "-"} loss {ValidationCrossEntropy?.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, lr {LearningRate:G4}, {Elapsed.TotalSeconds:F2} s");
}
