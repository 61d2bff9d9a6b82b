using Transfer.Pipelines.MlNet;

// In ML.NET's namespace, like ML.NET's own VisionCatalog, so existing code finds the extension with its usual usings.
namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.MulticlassClassification.Trainers.TransferImageClassification(…)</c>: a drop-in replacement for ML.NET's
/// <c>ImageClassification</c> trainer (Microsoft.ML.Vision) that runs a pretrained ONNX backbone (ResNet18 by default)
/// with ONNX Runtime instead of TensorFlow. Same input (an encoded-image bytes column and a key label), same output
/// (<c>Score</c> and a key <c>PredictedLabel</c>), and the fitted model saves and loads with <c>mlContext.Model</c>.
/// </summary>
public static class TransferImageClassificationCatalog
{
    /// <summary>
    /// Creates a <see cref="TransferImageClassificationTrainer"/> with the default options: ResNet18 features and a softmax
    /// head. The parameters are those of ML.NET's <c>ImageClassification</c>, in the same order.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key label column (<c>MapValueToKey</c>).</param>
    /// <param name="featureColumnName">The encoded image bytes column (<c>LoadRawImageBytes</c>, <c>VarVector&lt;Byte&gt;</c>).</param>
    /// <param name="scoreColumnName">The output probabilities column.</param>
    /// <param name="predictedLabelColumnName">The output predicted key column.</param>
    /// <param name="validationSet">Validation data with the same columns (early stopping watches it), or <see langword="null"/> to hold out <see cref="TransferImageClassificationTrainer.Options.ValidationSetFraction"/> of the training data.</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ArgumentException">A column name is empty.</exception>
    public static TransferImageClassificationTrainer TransferImageClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = TransferImageClassificationTrainer.Options.DefaultLabelColumnName,
        string featureColumnName = TransferImageClassificationTrainer.Options.DefaultFeatureColumnName,
        string scoreColumnName = TransferImageClassificationTrainer.Options.DefaultScoreColumnName,
        string predictedLabelColumnName = TransferImageClassificationTrainer.Options.DefaultPredictedLabelColumnName,
        IDataView? validationSet = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TransferImageClassificationTrainer(new TransferImageClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            ValidationSet = validationSet,
        });
    }

    /// <summary>Creates a <see cref="TransferImageClassificationTrainer"/> from options named like <c>ImageClassificationTrainer.Options</c>.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options (checked now; every problem is listed in one exception).</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static TransferImageClassificationTrainer TransferImageClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        TransferImageClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TransferImageClassificationTrainer(options);
    }
}
