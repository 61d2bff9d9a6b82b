using Microsoft.ML;
using Transfer.Featurization;
using Transfer.Heads.MaximumEntropy;

namespace Transfer.Heads;

/// <summary>
/// The default head: multinomial logistic regression (maximum entropy) trained with L-BFGS (OWL-QN for the L1 term) on
/// the feature matrix in place — the objective, regularisation and stopping rule of ML.NET's <c>LbfgsMaximumEntropy</c>,
/// with vectorised, multi-threaded gradients and no data-view copies. The trained head is the same ML.NET transformer
/// chain that trainer fits (<c>MaximumEntropyModelParameters</c> + <c>MapKeyToValue</c>), so saved models and ONNX
/// export are unchanged. ML.NET's own trainer stays available as <see cref="MlNetHeadTrainer"/>.
/// </summary>
public sealed class MaximumEntropyHeadTrainer : HeadTrainer
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults (ML.NET's for <c>LbfgsMaximumEntropy</c>).</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public MaximumEntropyHeadTrainer(MaximumEntropyHeadOptions? options = null)
    {
        Options = options ?? new MaximumEntropyHeadOptions();
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public MaximumEntropyHeadOptions Options { get; }

    /// <inheritdoc />
    public override string Name => "lbfgs";

    /// <inheritdoc />
    public override string Describe() => Options.Describe();

    /// <inheritdoc />
    public override TrainedHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, classes);
        return TrainFrom(train, classes, null, cancellationToken).Head;
    }

    /// <summary>
    /// Trains the head starting from <paramref name="centeredStart"/>: the centered parameters of an earlier fit on
    /// similar rows (the same fold at a stronger L2 weight, or without its augmented views). The objective is convex, so
    /// the start changes how many iterations the fit takes, not where it ends.
    /// </summary>
    /// <param name="train">The training features.</param>
    /// <param name="classes">The class names.</param>
    /// <param name="centeredStart">Where to start: the <c>Centered</c> parameters an earlier fit returned (biases, then class-major weights over features centred on their training mean), or <see langword="null"/> for zero.</param>
    /// <param name="cancellationToken">Checked between iterations.</param>
    /// <returns>The head and its centered parameters (to warm-start a later fit).</returns>
    /// <exception cref="ArgumentException">The training data is unusable (see <see cref="HeadTrainer.Train"/>).</exception>
    public (TrainedHead Head, float[] Centered) TrainFrom(FeatureMatrix train, IReadOnlyList<string> classes, float[]? centeredStart, CancellationToken cancellationToken)
    {
        CheckTrainingData(train, classes);
        var (parameters, centered, _) = FitFrom(train, Options, centeredStart, cancellationToken);
        int c = train.ClassCount;
        var ml = new MLContext(0);
        var model = MaximumEntropyTransformer.Create(ml, FeatureDataView.FeaturesColumn, parameters.AsSpan(c), parameters[..c], train.Dimension, classes);
        return (new TransformerHead(ml, model, classes, train.Dimension, Name), centered);
    }

    /// <summary>Minimises the objective: biases (one per class) then class-major weights, and what the optimizer did.</summary>
    internal static (float[] Parameters, MinimizationSummary Summary) Fit(FeatureMatrix train, MaximumEntropyHeadOptions options, CancellationToken cancellationToken)
    {
        var (parameters, _, summary) = FitFrom(train, options, null, cancellationToken);
        return (parameters, summary);
    }

    /// <summary>
    /// Minimises the objective starting from <paramref name="centeredStart"/> (the centered parameters an earlier fit on
    /// the same rows returned, e.g. at a stronger L2 weight: a warm start along a regularisation path), or from zero.
    /// </summary>
    /// <returns>The plain parameters, the centered ones (to warm-start the next fit on these rows), and what the optimizer did.</returns>
    internal static (float[] Parameters, float[] Centered, MinimizationSummary Summary) FitFrom(FeatureMatrix train, MaximumEntropyHeadOptions options, float[]? centeredStart, CancellationToken cancellationToken)
    {
        using var objective = new SoftmaxObjective(train, options.L2Regularization, options.Threads ?? Environment.ProcessorCount, centered: true);
        var parameters = centeredStart is null ? new float[objective.ParameterCount] : (float[])centeredStart.Clone();

        // ML.NET scales the L1 weight like the loss (by 1 / rows), as it does the L2 term.
        var minimizer = new OwlqnMinimizer(options.HistorySize, options.L1Regularization / train.Count, objective.Classes, options.OptimizationTolerance, options.MaximumIterations ?? int.MaxValue);
        var summary = minimizer.Minimize(objective.Evaluate, parameters, cancellationToken);
        var centered = (float[])parameters.Clone();
        objective.Uncenter(parameters);
        return (parameters, centered, summary);
    }

    /// <summary>The full objective (smooth part plus the L1 term) at <paramref name="parameters"/> (biases, then class-major weights): what <see cref="Fit"/> minimises.</summary>
    internal static double Objective(FeatureMatrix train, MaximumEntropyHeadOptions options, float[] parameters)
    {
        using var objective = new SoftmaxObjective(train, options.L2Regularization, options.Threads ?? Environment.ProcessorCount);
        double value = objective.Evaluate(parameters, new float[parameters.Length]);
        return value + (options.L1Regularization / train.Count * (double)System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(parameters.AsSpan(objective.Classes)));
    }

    /// <summary>The full objective at the parameters of a trained maximum-entropy head (this trainer's or ML.NET's <c>LbfgsMaximumEntropy</c>).</summary>
    internal static double Objective(FeatureMatrix train, MaximumEntropyHeadOptions options, TrainedHead head) => Objective(train, options, Parameters(head));

    /// <summary>Biases then class-major weights of a trained maximum-entropy head: the layout <see cref="Fit"/> optimises.</summary>
    internal static float[] Parameters(TrainedHead head)
    {
        var prediction = ((IEnumerable<ITransformer>)head.ScoringTransformer).OfType<Microsoft.ML.Data.MulticlassPredictionTransformer<Microsoft.ML.Trainers.MaximumEntropyModelParameters>>().Single();
        Microsoft.ML.Data.VBuffer<float>[] rows = [];
        prediction.Model.GetWeights(ref rows, out _);
        var parameters = new List<float>(prediction.Model.GetBiases());
        foreach (var row in rows)
        {
            parameters.AddRange(row.DenseValues());
        }

        return [.. parameters];
    }
}
