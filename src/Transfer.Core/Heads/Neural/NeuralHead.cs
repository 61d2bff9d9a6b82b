using System.Diagnostics;
using System.Globalization;
using Transfer.Featurization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// The shape and options of a classification head trained with mini-batch gradient descent on bottleneck features: the
/// base of <see cref="SoftmaxHead"/> and <see cref="MlpHead"/>. Train one with <see cref="NeuralHeadTrainer"/>.
/// </summary>
public abstract class NeuralHead
{
    private protected NeuralHead(NeuralHeadOptions? options, bool requireHiddenLayers)
    {
        Options = options ?? new NeuralHeadOptions();
        RequiresHiddenLayers = requireHiddenLayers;
        Options.Validate(requireHiddenLayers);
    }

    /// <summary>Gets the options this head trains with (checked again when training starts).</summary>
    public NeuralHeadOptions Options { get; }

    private protected bool RequiresHiddenLayers { get; }

    /// <summary>
    /// Trains the head with class names <c>"0"</c>, <c>"1"</c>, …; kept for callers written before
    /// <see cref="NeuralHeadTrainer"/> became the one way to train a neural head, and trains exactly as it does.
    /// </summary>
    /// <param name="train">Training features and labels; at least 2 classes.</param>
    /// <param name="validation">Validation features and labels with the same dimension and class count, or <see langword="null"/>.</param>
    /// <param name="progress">Receives each epoch's metrics, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops training between mini-batches.</param>
    /// <returns>The trained head, holding the best epoch's weights when early stopping restores them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options or the data are invalid, or there is no validation data and <see cref="NeuralHeadOptions.AllowNoValidation"/> is not set; the message lists every failure.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    [Obsolete("Use new NeuralHeadTrainer(head, progress).Train(train, validation, classes, cancellationToken), the one way to train a head; it returns the same TrainedNeuralHead, with your class names.")]
    public TrainedNeuralHead Train(FeatureMatrix train, FeatureMatrix? validation = null, IProgress<EpochMetrics>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        string[] classes = [.. Enumerable.Range(0, train.ClassCount).Select(c => c.ToString(CultureInfo.InvariantCulture))];
        return Fit(train, validation, classes, progress, cancellationToken);
    }

    /// <summary>
    /// Trains the head (<see cref="NeuralHeadTrainer.Train"/> calls this after its checks). Validation data is
    /// <paramref name="validation"/> when given, otherwise a stratified, seeded <see cref="NeuralHeadOptions.ValidationFraction"/>
    /// of <paramref name="train"/>.
    /// </summary>
    /// <param name="train">Training features and labels; at least 2 classes.</param>
    /// <param name="validation">Validation features and labels with the same dimension and class count, or <see langword="null"/>.</param>
    /// <param name="classes">Class names in class-index order.</param>
    /// <param name="progress">Receives each epoch's metrics, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops training between mini-batches.</param>
    /// <returns>The trained head, holding the best epoch's weights when early stopping restores them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options or the data are invalid, or there is no validation data and <see cref="NeuralHeadOptions.AllowNoValidation"/> is not set; the message lists every failure.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal TrainedNeuralHead Fit(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, IProgress<EpochMetrics>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(train);
        NeuralHeadOptions o = Options;
        o.Validate(RequiresHiddenLayers);
        var problems = new ValidationProblems();
        CheckData(train, problems);
        if (validation is not null)
        {
            if (validation.Dimension != train.Dimension)
            {
                problems.Add($"Validation features have {validation.Dimension} dimensions, training features {train.Dimension}; featurize both with the same backbone.");
            }

            if (validation.ClassCount != train.ClassCount)
            {
                problems.Add($"Validation data has {validation.ClassCount} classes, training data {train.ClassCount}; build both with the same label mapping.");
            }

            if (validation.Count == 0)
            {
                problems.Add("Validation data has no rows; pass null to hold out ValidationFraction of the training data instead.");
            }
        }
        else if (o.ValidationFraction == 0 && !o.AllowNoValidation)
        {
            problems.Add("No validation data: pass a validation set to Train, set ValidationFraction above 0 (e.g. 0.1), or set AllowNoValidation = true to train without early stopping and keep the last epoch.");
        }

        problems.ThrowIfAny(NeuralHeadOptions.ProblemSubject);

        FeatureMatrix trainPart = train;
        FeatureMatrix? validationPart = validation;
        if (validation is null && o.ValidationFraction > 0)
        {
            (trainPart, validationPart) = StratifiedSplit.Split(train, o.ValidationFraction, o.Seed);
            if (validationPart.Count == 0)
            {
                if (!o.AllowNoValidation)
                {
                    throw new OptionsValidationException(NeuralHeadOptions.ProblemSubject, [string.Create(CultureInfo.InvariantCulture, $"ValidationFraction {o.ValidationFraction} of {train.Count} training rows holds out no row; raise ValidationFraction, pass a validation set, or set AllowNoValidation = true.")]);
                }

                validationPart = null;
            }
        }

        float[]? classWeights = ClassWeights(o, trainPart);
        return Run(trainPart, validationPart, classWeights, classes, progress, cancellationToken);
    }

    /// <summary>Gets the short name reports and the run manifest use (<c>softmax</c> or <c>mlp</c>).</summary>
    internal abstract string Name { get; }

    /// <summary>Returns the layer widths, input first and classes last.</summary>
    /// <param name="dimension">The feature dimension.</param>
    /// <param name="classes">The number of classes.</param>
    /// <returns>The widths.</returns>
    internal abstract int[] LayerSizes(int dimension, int classes);

    /// <summary>Adds the failures of the training data to <paramref name="problems"/>.</summary>
    internal static void CheckData(FeatureMatrix train, ValidationProblems problems)
    {
        if (train.Count == 0)
        {
            problems.Add("Training data has no rows; featurize at least one image per class.");
        }

        if (train.ClassCount < 2)
        {
            problems.Add($"Training data must have at least 2 classes, had {train.ClassCount}; a classifier needs images of two or more labels.");
        }
    }

    internal static float[]? ClassWeights(NeuralHeadOptions options, FeatureMatrix train)
    {
        if (options.ClassWeights is { } explicitWeights)
        {
            if (explicitWeights.Count != train.ClassCount)
            {
                throw new OptionsValidationException(NeuralHeadOptions.ProblemSubject, [$"ClassWeights must have one entry per class ({train.ClassCount}), had {explicitWeights.Count}."]);
            }

            return [.. explicitWeights];
        }

        if (!options.BalancedClassWeights)
        {
            return null;
        }

        var counts = new int[train.ClassCount];
        for (int i = 0; i < train.Count; i++)
        {
            counts[train.Labels[i]]++;
        }

        var weights = new float[train.ClassCount];
        for (int c = 0; c < weights.Length; c++)
        {
            weights[c] = counts[c] == 0 ? 0f : (float)((double)train.Count / (train.ClassCount * counts[c]));
        }

        return weights;
    }

    private TrainedNeuralHead Run(FeatureMatrix train, FeatureMatrix? validation, float[]? classWeights, IReadOnlyList<string> classes, IProgress<EpochMetrics>? progress, CancellationToken cancellationToken)
    {
        NeuralHeadOptions o = Options;
        int[] sizes = LayerSizes(train.Dimension, train.ClassCount);
        var session = new TrainingSession(sizes, o, train, classWeights);
        int stepsPerEpoch = session.StepsPerEpoch;
        int totalSteps = o.Epochs * stepsPerEpoch;
        EarlyStopping? stopping = validation is null ? null : o.EarlyStopping;
        var epochs = new List<EpochMetrics>(o.Epochs);
        float[]? best = null;
        double bestValue = double.NaN;
        int bestEpoch = 0;
        int sinceBest = 0;
        bool stoppedEarly = false;
        long step = 0;
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            session.Shuffle(epoch);
            double crossEntropy = 0;
            long correct = 0;
            double rate = 0;
            for (int batch = 0; batch < stepsPerEpoch; batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                rate = o.Schedule.LearningRate(o.LearningRate, (int)step, stepsPerEpoch, totalSteps);
                (_, double batchLoss, int batchCorrect, _) = session.TrainBatch(batch, step, rate);
                crossEntropy += batchLoss;
                correct += batchCorrect;
                step++;
            }

            double? validationLoss = null;
            double? validationAccuracy = null;
            if (validation is not null)
            {
                (double loss, double accuracy) = session.Evaluate(validation);
                validationLoss = loss;
                validationAccuracy = accuracy;
            }

            var metrics = new EpochMetrics
            {
                Epoch = epoch,
                TotalEpochs = o.Epochs,
                Batches = stepsPerEpoch,
                TrainAccuracy = (double)correct / train.Count,
                TrainCrossEntropy = crossEntropy / train.Count,
                ValidationAccuracy = validationAccuracy,
                ValidationCrossEntropy = validationLoss,
                LearningRate = rate,
                Elapsed = clock.Elapsed,
            };
            epochs.Add(metrics);
            o.EpochCompleted?.Invoke(metrics);
            progress?.Report(metrics);

            if (stopping is null)
            {
                continue;
            }

            bool byAccuracy = stopping.Metric == EarlyStoppingMetric.ValidationAccuracy;
            double value = byAccuracy ? validationAccuracy!.Value : validationLoss!.Value;
            bool improved = bestEpoch == 0 || (byAccuracy ? value > bestValue + stopping.MinDelta : value < bestValue - stopping.MinDelta);
            if (improved)
            {
                bestValue = value;
                bestEpoch = epoch;
                sinceBest = 0;
                if (stopping.RestoreBestWeights)
                {
                    best ??= new float[session.Network.Parameters.Length];
                    session.Network.Parameters.CopyTo(best, 0);
                }
            }
            else if (++sinceBest >= stopping.Patience)
            {
                stoppedEarly = epoch < o.Epochs;
                break;
            }
        }

        float[] final = session.Network.Parameters;
        int keptEpoch = epochs.Count;
        if (stopping is { RestoreBestWeights: true } && best is not null)
        {
            final = best;
            keptEpoch = bestEpoch;
        }

        var history = new TrainingHistory(epochs, keptEpoch, stoppedEarly);
        return new TrainedNeuralHead(sizes, session.FoldedParameters(final), history, classes, Name);
    }
}
