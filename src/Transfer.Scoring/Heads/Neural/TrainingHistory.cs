using System.Globalization;
using System.Text;

namespace Transfer.Heads.Neural;

/// <summary>The per-epoch metrics of a training run, for plots and reports.</summary>
public sealed class TrainingHistory
{
    /// <summary>Initializes a history (neural head training records one; tests and custom trainers may build their own).</summary>
    /// <param name="epochs">The metrics of each epoch run, in order.</param>
    /// <param name="bestEpoch">The number (from 1) of the epoch whose weights the head holds.</param>
    /// <param name="stoppedEarly">Whether early stopping ended training before the planned number of epochs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="epochs"/> is <see langword="null"/>.</exception>
    public TrainingHistory(IReadOnlyList<EpochMetrics> epochs, int bestEpoch, bool stoppedEarly)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        Epochs = epochs;
        BestEpoch = bestEpoch;
        StoppedEarly = stoppedEarly;
    }

    /// <summary>Gets the metrics of each epoch run, in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; }

    /// <summary>Gets the number (from 1) of the epoch whose weights the trained head holds: the best validation epoch when early stopping restores it, otherwise the last epoch run.</summary>
    public int BestEpoch { get; }

    /// <summary>Gets a value indicating whether early stopping ended training before the planned number of epochs.</summary>
    public bool StoppedEarly { get; }

    /// <summary>Writes the history as CSV (header <c>epoch,batches,train_accuracy,train_cross_entropy,validation_accuracy,validation_cross_entropy,learning_rate,seconds</c>; empty cells without validation).</summary>
    /// <returns>The CSV text, invariant culture.</returns>
    public string ToCsv()
    {
        var csv = new StringBuilder("epoch,batches,train_accuracy,train_cross_entropy,validation_accuracy,validation_cross_entropy,learning_rate,seconds\n");
        foreach (EpochMetrics e in Epochs)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.Batches},{e.TrainAccuracy:R},{e.TrainCrossEntropy:R},{e.ValidationAccuracy:R},{e.ValidationCrossEntropy:R},{e.LearningRate:R},{e.Elapsed.TotalSeconds:R}\n");
        }

        return csv.ToString();
    }
}
