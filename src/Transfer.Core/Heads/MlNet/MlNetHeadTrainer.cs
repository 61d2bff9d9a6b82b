using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Transfer.Featurization;

namespace Transfer.Heads;

/// <summary>
/// Trains a head with an ML.NET multiclass trainer (L-BFGS maximum entropy by default). The trained head is a plain
/// ML.NET transformer, so saved models score with no Transfer code.
/// </summary>
public sealed class MlNetHeadTrainer : HeadTrainer
{
    private readonly int _seed;

    /// <summary>Creates the trainer.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="seed">Seed for ML.NET's context (trainers that shuffle).</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public MlNetHeadTrainer(MlNetHeadOptions? options = null, int seed = 42)
    {
        Options = options ?? new MlNetHeadOptions();
        Options.Validate();
        _seed = seed;
    }

    /// <summary>Gets the options.</summary>
    public MlNetHeadOptions Options { get; }

    /// <inheritdoc />
    public override string Name => Options.Trainer switch
    {
        MlNetTrainerKind.SdcaMaximumEntropy => "sdca",
        MlNetTrainerKind.LightGbm => "lightgbm",
        _ => "lbfgs",
    };

    /// <inheritdoc />
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Options.Trainer}(l2={Options.L2Regularization?.ToString(CultureInfo.InvariantCulture) ?? "auto"}, l1={Options.L1Regularization}, iterations={Options.MaximumIterations?.ToString(CultureInfo.InvariantCulture) ?? "default"}, seed={_seed})");

    /// <inheritdoc />
    public override TrainedHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, classes);
        var ml = new MLContext(_seed);
        cancellationToken.ThrowIfCancellationRequested(); // ML.NET trainers cannot be interrupted from outside; checked before and after.
        var data = FeatureDataView.Create(ml, train, classes);
        const string features = FeatureDataView.FeaturesColumn;
        const string label = FeatureDataView.LabelColumn;
        IEstimator<ITransformer> estimator = Options.Trainer switch
        {
            MlNetTrainerKind.SdcaMaximumEntropy => ml.Transforms.NormalizeMeanVariance(features).Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = label,
                FeatureColumnName = features,
                L2Regularization = Options.L2Regularization,
                MaximumNumberOfIterations = Options.MaximumIterations,
                NumberOfThreads = Options.Threads,
            })),
            MlNetTrainerKind.LightGbm => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = label,
                FeatureColumnName = features,
                NumberOfIterations = Options.MaximumIterations ?? 100,
                NumberOfThreads = Options.Threads,
                Seed = _seed,
            }),
            _ => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = label,
                FeatureColumnName = features,
                L2Regularization = Options.L2Regularization ?? 1f,
                L1Regularization = Options.L1Regularization,
                MaximumNumberOfIterations = Options.MaximumIterations ?? int.MaxValue,
                NumberOfThreads = Options.Threads,
            }),
        };
        var chain = estimator.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        try
        {
            var model = chain.Fit(data);
            cancellationToken.ThrowIfCancellationRequested();
            return new TransformerHead(ml, model, classes, train.Dimension, Name);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Head training was cancelled.", cancellationToken);
        }
    }
}
