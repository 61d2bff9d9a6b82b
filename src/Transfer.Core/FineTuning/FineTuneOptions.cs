using System.Globalization;
using Transfer.Heads.Neural;
using Transfer.Validation;

namespace Transfer.FineTuning;

/// <summary>
/// Settings of <see cref="FineTuner"/>: what is trained, how long, at which rates. Checked together by
/// <see cref="Validate"/>, which lists every problem in one <see cref="OptionsValidationException"/>.
/// </summary>
/// <remarks>
/// The defaults follow the second half of Keras' transfer-learning guide: the head first (warm-started from a
/// maximum-entropy head on the frozen features), then the top of the backbone at a learning rate ten times lower than
/// the head's, BatchNorm frozen (folded), a short warm-up, cosine decay, and early stopping that restores the best epoch.
/// The rates and epochs were the best of four settings measured on Fashion-MNIST 1,000 / 500 (docs/FINE-TUNING.md).
/// </remarks>
public sealed class FineTuneOptions
{
    /// <summary>The default value of <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 3;

    /// <summary>The default value of <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>The default value of <see cref="BackboneLearningRate"/>.</summary>
    public const double DefaultBackboneLearningRate = 3e-5;

    /// <summary>The default value of <see cref="HeadLearningRate"/>.</summary>
    public const double DefaultHeadLearningRate = 3e-4;

    /// <summary>The default value of <see cref="WeightDecay"/>.</summary>
    public const double DefaultWeightDecay = 0.01;

    /// <summary>The largest <see cref="BatchSize"/>.</summary>
    public const int MaxBatchSize = 256;

    /// <summary>The default value of <see cref="ValidationFraction"/>.</summary>
    public const double DefaultValidationFraction = 0.1;

    /// <summary>The default value of <see cref="WarmStartL2"/>.</summary>
    public const double DefaultWarmStartL2 = 1;

    /// <summary>Gets or sets which layers are trained.</summary>
    /// <value>The default value is <see cref="TunedLayers.LastStage"/> (ResNet18's <c>layer4</c>).</value>
    public TunedLayers Layers { get; set; } = TunedLayers.LastStage;

    /// <summary>Gets or sets the number of passes over the training images.</summary>
    /// <value>The default value is 3. Must be at least 1. Early stopping may end training sooner.</value>
    public int Epochs { get; set; } = DefaultEpochs;

    /// <summary>Gets or sets the images per step (the last batch of an epoch may be smaller).</summary>
    /// <value>The default value is 32. Must be 1 to 256: a step holds about 6 MB of intermediate tensors an image for ResNet18's last stage.</value>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>Gets or sets the update rule for both the backbone and the head.</summary>
    /// <value>The default value is <see cref="NeuralOptimizer.AdamW"/>.</value>
    public NeuralOptimizer Optimizer { get; set; } = NeuralOptimizer.AdamW;

    /// <summary>Gets or sets the peak learning rate of the tuned backbone layers.</summary>
    /// <value>The default value is 3e-5 (AdamW). Must be positive and finite; with <see cref="NeuralOptimizer.Sgd"/> use about 1e-3.</value>
    public double BackboneLearningRate { get; set; } = DefaultBackboneLearningRate;

    /// <summary>Gets or sets the peak learning rate of the head.</summary>
    /// <value>The default value is 3e-4. Must be positive and finite.</value>
    public double HeadLearningRate { get; set; } = DefaultHeadLearningRate;

    /// <summary>Gets or sets the momentum of <see cref="NeuralOptimizer.Sgd"/>.</summary>
    /// <value>The default value is 0.9. Must be in [0, 1).</value>
    public double Momentum { get; set; } = NeuralHeadOptions.DefaultMomentum;

    /// <summary>Gets or sets the weight decay of convolution and head weights (decoupled with AdamW, L2 otherwise); biases are never decayed.</summary>
    /// <value>The default value is 0.01. Must be zero or positive.</value>
    public double WeightDecay { get; set; } = DefaultWeightDecay;

    /// <summary>Gets or sets the learning-rate schedule applied to both rates.</summary>
    /// <value>The default value is a <see cref="CosineDecaySchedule"/> with a 0.3-epoch linear warm-up.</value>
    public LearningRateSchedule Schedule { get; set; } = new CosineDecaySchedule { WarmupEpochs = 0.3 };

    /// <summary>Gets or sets the stratified fraction of the images held out to choose the best epoch (and to judge whether tuning helped).</summary>
    /// <value>The default value is 0.1. Must be in (0, 0.5]; every class keeps at least one training image.</value>
    public double ValidationFraction { get; set; } = DefaultValidationFraction;

    /// <summary>Gets or sets early stopping on the validation images; the best epoch's weights are restored.</summary>
    /// <value>
    /// The default value stops after 3 epochs without a lower validation loss (so the default 3 epochs run to the end of
    /// the cosine decay, where the measured gains came) and restores the best.
    /// </value>
    public EarlyStopping EarlyStopping { get; set; } = new() { Patience = 3 };

    /// <summary>
    /// Gets or sets whether each training image is also seen mirrored left to right (each epoch draws one of the two views
    /// per image); both views' activations are computed once and cached.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: a pipeline mirrors when its frozen run trained on the mirrored view
    /// (flipping is never forced: some classes differ only by it); <see cref="FineTuner"/> alone does not mirror.
    /// </value>
    public bool? MirroredViews { get; set; }

    /// <summary>Gets or sets the L2 weight of the maximum-entropy head fitted on the frozen features to start from.</summary>
    /// <value>The default value is <see langword="null"/>: a pipeline uses the weight its automatic head chose, else 1.</value>
    public double? WarmStartL2 { get; set; }

    /// <summary>
    /// Gets or sets whether to keep the frozen model when the best tuned epoch is not better on the validation images
    /// than the warm-started head alone (epoch 0): small or ImageNet-like sets often gain nothing.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool KeepFrozenUnlessBetter { get; set; } = true;

    /// <summary>Gets or sets the seed of the validation split, the shuffles and the view draws.</summary>
    /// <value>The default value is 42. Training is deterministic for a seed on the CPU with the same thread count.</value>
    public int Seed { get; set; } = 42;

    /// <summary>Gets or sets ONNX Runtime's intra-op threads for the training graph.</summary>
    /// <value>The default value is <see langword="null"/>: every processor (<see cref="Environment.ProcessorCount"/>).</value>
    public int? Threads { get; set; }

    /// <summary>Gets or sets the folder of the run's temporary activation file (deleted when the run ends).</summary>
    /// <value>The default value is <see langword="null"/>: the system's temporary folder.</value>
    public string? WorkingDirectory { get; set; }

    /// <summary>Checks every option and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; <see cref="OptionsValidationException.Problems"/> lists them.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (!Enum.IsDefined(Layers))
        {
            problems.Add($"Layers must be LastStage or LastBlock, was {(int)Layers}.");
        }

        if (Epochs < 1)
        {
            problems.Add($"Epochs must be at least 1, was {Epochs}.");
        }

        if (BatchSize is < 1 or > MaxBatchSize)
        {
            problems.Add($"BatchSize must be 1 to {MaxBatchSize}, was {BatchSize}.");
        }

        if (!Enum.IsDefined(Optimizer))
        {
            problems.Add($"Optimizer must be Sgd, Adam or AdamW, was {(int)Optimizer}.");
        }

        CheckRate(problems, nameof(BackboneLearningRate), BackboneLearningRate);
        CheckRate(problems, nameof(HeadLearningRate), HeadLearningRate);
        if (!(Momentum >= 0 && Momentum < 1))
        {
            problems.Add($"Momentum must be in [0, 1), was {Format(Momentum)}.");
        }

        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
        {
            problems.Add($"WeightDecay must be zero or positive, was {Format(WeightDecay)}.");
        }

        if (Schedule is null)
        {
            problems.Add("Schedule must not be null; use LearningRateSchedule.Constant for fixed rates.");
        }
        else
        {
            Schedule.Validate(problems);
        }

        if (!(ValidationFraction > 0 && ValidationFraction <= 0.5))
        {
            problems.Add($"ValidationFraction must be in (0, 0.5], was {Format(ValidationFraction)}: fine-tuning chooses its best epoch, and whether to keep it, on held-out images.");
        }

        if (EarlyStopping is null)
        {
            problems.Add("EarlyStopping must not be null; set Patience to Epochs to run every epoch (the best is still restored).");
        }
        else
        {
            EarlyStopping.Validate(problems);
        }

        if (WarmStartL2 is double l2 && (!(l2 >= 0) || double.IsInfinity(l2)))
        {
            problems.Add($"WarmStartL2 must be zero or positive, was {Format(l2)}.");
        }

        if (Threads is int threads && threads < 1)
        {
            problems.Add($"Threads must be at least 1 or null (all {Environment.ProcessorCount} processors), was {threads}.");
        }

        problems.ThrowIfAny(nameof(FineTuneOptions));
    }

    /// <summary>A copy with the choices left to the caller made: whether to mirror, and the warm-start head's L2 weight (kept when set).</summary>
    /// <param name="mirroredViews">Whether to train on the mirrored views too, used when <see cref="MirroredViews"/> is <see langword="null"/>.</param>
    /// <param name="warmStartL2">The L2 weight of the warm-start head, used when <see cref="WarmStartL2"/> is <see langword="null"/>.</param>
    /// <returns>The copy.</returns>
    public FineTuneOptions Resolve(bool mirroredViews, double warmStartL2)
    {
        var copy = (FineTuneOptions)MemberwiseClone();
        copy.MirroredViews ??= mirroredViews;
        copy.WarmStartL2 ??= warmStartL2;
        return copy;
    }

    /// <summary>A canonical text of the settings, for the run manifest.</summary>
    /// <returns>The text.</returns>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"fine-tune({Layers}, epochs={Epochs}, batch={BatchSize}, {Optimizer}, lr backbone={BackboneLearningRate:G4} head={HeadLearningRate:G4}, decay={WeightDecay:G4}, {Schedule}, validation={ValidationFraction:G4}, patience={EarlyStopping?.Patience}, mirror={MirroredViews?.ToString() ?? "auto"}, seed={Seed})");

    private static void CheckRate(ValidationProblems problems, string name, double rate)
    {
        if (!(rate > 0) || double.IsInfinity(rate))
        {
            problems.Add($"{name} must be positive and finite, was {Format(rate)}.");
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
