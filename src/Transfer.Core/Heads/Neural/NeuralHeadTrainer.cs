using System.Globalization;
using Onnx;
using Transfer.Featurization;
using Transfer.Heads.Neural;

namespace Transfer.Heads;

/// <summary>
/// Trains a <see cref="SoftmaxHead"/> or <see cref="MlpHead"/>: the one way to train a neural head, alone or in a pipeline
/// (<see cref="HeadTrainer"/>); it returns the <see cref="TrainedNeuralHead"/>.
/// The trained head is exported as ONNX nodes (Gemm / Relu / Softmax, ArgMax and a label lookup) that ML.NET's
/// <c>ApplyOnnxModel</c> runs, so saved models still score with plain ML.NET.
/// </summary>
public sealed class NeuralHeadTrainer : HeadTrainer
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="head">The head to train (<see cref="SoftmaxHead"/> or <see cref="MlpHead"/>).</param>
    /// <param name="progress">Receives each epoch's metrics, or <see langword="null"/>.</param>
    public NeuralHeadTrainer(NeuralHead head, IProgress<EpochMetrics>? progress = null)
    {
        Head = head ?? throw new ArgumentNullException(nameof(head));
        Progress = progress;
    }

    /// <summary>Gets the head being trained.</summary>
    public NeuralHead Head { get; }

    /// <summary>Gets the per-epoch progress receiver.</summary>
    public IProgress<EpochMetrics>? Progress { get; }

    /// <inheritdoc />
    public override string Name => Head.Name;

    /// <inheritdoc />
    public override string Describe()
    {
        var o = Head.Options;
        return string.Create(CultureInfo.InvariantCulture, $"{Head.GetType().Name}(epochs={o.Epochs}, batch={o.BatchSize}, lr={o.LearningRate}, optimizer={o.Optimizer}, weightDecay={o.WeightDecay}, labelSmoothing={o.LabelSmoothing}, dropout={o.Dropout}, hidden=[{string.Join(',', o.HiddenLayers)}], schedule={o.Schedule.GetType().Name}, earlyStopping={(o.EarlyStopping is { } e ? $"{e.Metric}/{e.Patience}" : "off")}, seed={o.Seed})");
    }

    /// <summary>
    /// Trains the head. Validation data is <paramref name="validation"/> when given, otherwise a stratified, seeded
    /// <see cref="NeuralHeadOptions.ValidationFraction"/> of <paramref name="train"/>.
    /// </summary>
    /// <param name="train">Training features and class indices; at least 2 classes.</param>
    /// <param name="validation">Validation features and labels with the same dimension and class count, or <see langword="null"/>.</param>
    /// <param name="classes">Class names (class index <c>i</c> is <c>classes[i]</c>).</param>
    /// <param name="cancellationToken">Stops training between mini-batches.</param>
    /// <returns>The trained head, holding the best epoch's weights when early stopping restores them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> or <paramref name="classes"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options or the data are invalid, or there is no validation data and <see cref="NeuralHeadOptions.AllowNoValidation"/> is not set; the message lists every failure.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public override TrainedNeuralHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, classes);
        return Head.Fit(train, validation, classes, Progress, cancellationToken);
    }

    /// <summary>The ONNX graph of a trained neural head: <c>Features</c> [N, D] → <c>HeadLogProbabilities</c> [N, C].</summary>
    internal static ModelProto BuildScoringGraph(TrainedNeuralHead head)
    {
        var model = OnnxHead.NewModel(head.FeatureDimension, head.ClassCount);
        var g = model.Graph;
        head.AppendToOnnx(g, OnnxHead.FeaturesInput, "transfer_probabilities");
        g.Initializer.Add(Backbones.BackboneGraph.Scalar("transfer_tiny", 1e-30f));
        g.Node.Add(Backbones.BackboneGraph.Node("Max", ["transfer_probabilities", "transfer_tiny"], ["transfer_clamped"]));
        g.Node.Add(Backbones.BackboneGraph.Node("Log", ["transfer_clamped"], [LogProbabilitiesColumn]));
        return model;
    }

    /// <summary>The column of per-class log-probabilities a neural head's scoring transformer adds before <c>Score</c>; a chain that scores with it may drop it.</summary>
    public const string LogProbabilitiesColumn = OnnxHead.LogProbabilitiesOutput;
}
