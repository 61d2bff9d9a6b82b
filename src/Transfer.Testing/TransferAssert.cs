using System.Globalization;
using System.Text;
using Microsoft.ML;
using Transfer.Evaluation;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Testing;

/// <summary>
/// Checks a user wants on a trained Transfer model, for any test framework: each throws a
/// <see cref="TransferAssertionException"/> whose message gives the actual values and the images that failed.
/// </summary>
public static class TransferAssert
{
    /// <summary>The score tolerance of the prediction comparisons.</summary>
    /// <value>1e-3 (scores are probabilities): the same graph run by another ONNX Runtime session, or by ML.NET's
    /// <c>OnnxTransformer</c>, may round differently; a wrong preprocessing or head moves scores far more.</value>
    public const float DefaultTolerance = 1e-3f;

    private const int MaxListed = 10;

    // The assertions predict a batch at once: a warm-up run first would only add a backbone run per predictor.
    private static readonly PredictorOptions NoWarmUp = new() { WarmUp = false };

    /// <summary>Asserts that an evaluation's micro-accuracy is at least <paramref name="minimum"/>.</summary>
    /// <param name="evaluation">The evaluation (e.g. <c>TransferResult.Evaluation</c>).</param>
    /// <param name="minimum">The lowest accepted accuracy, in [0, 1].</param>
    /// <exception cref="TransferAssertionException">There is no evaluation, or its accuracy is lower; the message holds the whole metrics table.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimum"/> is outside [0, 1].</exception>
    public static void AccuracyAtLeast(EvaluationResult? evaluation, double minimum)
    {
        CheckMinimum(minimum);
        if (evaluation is null)
        {
            throw new TransferAssertionException("Expected an evaluation, but there was none: the pipeline had no test images. Use TestFraction(f) with f > 0 or TestOn(testImages).");
        }

        if (evaluation.MicroAccuracy < minimum)
        {
            throw new TransferAssertionException(string.Create(CultureInfo.InvariantCulture, $"Expected micro-accuracy at least {minimum:0.###} on {evaluation.Count} test images, was {evaluation.MicroAccuracy:0.###}.{Environment.NewLine}{evaluation.ToTable()}"));
        }
    }

    /// <summary>Asserts that a model labels at least a fraction <paramref name="minimum"/> of a labelled set correctly.</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">Labelled images; every label must be one of the model's classes.</param>
    /// <param name="minimum">The lowest accepted accuracy, in [0, 1].</param>
    /// <returns>The accuracy measured.</returns>
    /// <exception cref="TransferAssertionException">The accuracy is lower (the message lists misclassified images), or a label is not a class of the model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimum"/> is outside [0, 1].</exception>
    public static double AccuracyAtLeast(TransferModel model, ImageSet images, double minimum)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        CheckMinimum(minimum);
        CheckNotEmpty(images);
        var unknown = images.Classes.Except(model.Classes, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new TransferAssertionException($"The image set has labels the model does not know: {string.Join(", ", unknown)} (model classes: {string.Join(", ", model.Classes)}).");
        }

        using var predictor = model.CreatePredictor(NoWarmUp);
        var predictions = predictor.PredictBatch(images.Entries, top: 1);
        var wrong = new List<string>();
        for (int i = 0; i < predictions.Count; i++)
        {
            var entry = images.Entries[i];
            if (!string.Equals(predictions[i].Label, entry.Label, StringComparison.Ordinal))
            {
                wrong.Add(string.Create(CultureInfo.InvariantCulture, $"{entry.Path ?? entry.Name}: expected {entry.Label}, predicted {predictions[i].Label} ({predictions[i].Score:0.###})"));
            }
        }

        double accuracy = 1.0 - ((double)wrong.Count / images.Count);
        if (accuracy < minimum)
        {
            throw new TransferAssertionException(string.Create(CultureInfo.InvariantCulture, $"Expected accuracy at least {minimum:0.###} on {images.Count} images, was {accuracy:0.###} ({wrong.Count} wrong):{Environment.NewLine}{List(wrong)}"));
        }

        return accuracy;
    }

    /// <summary>
    /// Asserts that the model, saved to a zip and loaded back, predicts the same labels and scores on the images: with
    /// <see cref="TransferModel.Load"/> and its <see cref="Predictor"/>, and, for images that are files, with plain ML.NET
    /// (<c>MLContext.Model.Load</c> + <c>PredictionEngine</c>, no Transfer code) as an app would score it.
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="images">The images to predict (labels are not used).</param>
    /// <param name="tolerance">The largest accepted difference per score.</param>
    /// <exception cref="TransferAssertionException">A label or score differs, or saving or loading failed; the message names the image.</exception>
    public static void SavedAndReloadedPredictsSame(TransferModel model, ImageSet images, float tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        CheckNotEmpty(images);
        string directory = Directory.CreateTempSubdirectory("transfer-testing-model-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.zip");
            TransferModel reloaded;
            try
            {
                model.Save(path);
                reloaded = TransferModel.Load(path);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException)
            {
                throw new TransferAssertionException($"Saving the model to \"{path}\" and loading it back failed: {e.Message}", e);
            }

            using (reloaded)
            {
                if (!reloaded.Classes.SequenceEqual(model.Classes, StringComparer.Ordinal))
                {
                    throw new TransferAssertionException($"The reloaded model's classes [{string.Join(", ", reloaded.Classes)}] differ from the original's [{string.Join(", ", model.Classes)}].");
                }

                ComparePredictions(model, reloaded, images, tolerance, "reloaded with TransferModel.Load");
            }

            var files = images.Entries.Where(e => e.Path is not null).ToList();
            if (files.Count > 0)
            {
                CompareWithPlainMlNet(model, path, files, tolerance);
            }
        }
        finally
        {
            TemporaryDirectory.Delete(directory);
        }
    }

    /// <summary>Asserts that two models predict the same labels and scores on the images (e.g. two training runs with one seed).</summary>
    /// <param name="expected">The reference model.</param>
    /// <param name="actual">The model under test.</param>
    /// <param name="images">The images to predict.</param>
    /// <param name="tolerance">The largest accepted difference per score.</param>
    /// <exception cref="TransferAssertionException">The classes, a label or a score differ; the message names the image.</exception>
    public static void PredictSame(TransferModel expected, TransferModel actual, ImageSet images, float tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(images);
        CheckNotEmpty(images);
        if (!actual.Classes.SequenceEqual(expected.Classes, StringComparer.Ordinal))
        {
            throw new TransferAssertionException($"The models' classes differ: expected [{string.Join(", ", expected.Classes)}], actual [{string.Join(", ", actual.Classes)}].");
        }

        ComparePredictions(expected, actual, images, tolerance, "under test");
    }

    private static void ComparePredictions(TransferModel expected, TransferModel actual, ImageSet images, float tolerance, string what)
    {
        using var first = expected.CreatePredictor(NoWarmUp);
        using var second = actual.CreatePredictor(NoWarmUp);
        var a = first.PredictBatch(images.Entries, top: 1);
        var b = second.PredictBatch(images.Entries, top: 1);
        var differences = new List<string>();
        for (int i = 0; i < a.Count; i++)
        {
            string? difference = Compare(a[i].Label, a[i].Scores, b[i].Label, b[i].Scores, tolerance, expected.Classes);
            if (difference is not null)
            {
                differences.Add($"{images.Entries[i].Path ?? images.Entries[i].Name}: {difference}");
            }
        }

        if (differences.Count > 0)
        {
            throw new TransferAssertionException(string.Create(CultureInfo.InvariantCulture, $"The model {what} predicts differently on {differences.Count} of {images.Count} images (tolerance {tolerance:G3}):{Environment.NewLine}{List(differences)}"));
        }
    }

    private static void CompareWithPlainMlNet(TransferModel model, string path, List<ImageEntry> files, float tolerance)
    {
        var ml = new MLContext(seed: 0);
        ITransformer loaded;
        try
        {
            loaded = ml.Model.Load(path, out _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new TransferAssertionException($"Plain ML.NET could not load the saved model \"{path}\" (MLContext.Model.Load): {e.Message}", e);
        }

        using (loaded as IDisposable)
        {
            using var engine = ml.Model.CreatePredictionEngine<PathInput, ScoreOutput>(loaded);
            using var predictor = model.CreatePredictor(NoWarmUp);
            var expected = predictor.PredictBatch(files, top: 1);
            var differences = new List<string>();
            for (int i = 0; i < files.Count; i++)
            {
                var output = engine.Predict(new PathInput { ImagePath = files[i].Path! });
                string? difference = Compare(expected[i].Label, expected[i].Scores, output.PredictedLabel, output.Score, tolerance, model.Classes);
                if (difference is not null)
                {
                    differences.Add($"{files[i].Path}: {difference}");
                }
            }

            if (differences.Count > 0)
            {
                throw new TransferAssertionException(string.Create(CultureInfo.InvariantCulture, $"The saved model scored with plain ML.NET (PredictionEngine) differs from the original on {differences.Count} of {files.Count} image files (tolerance {tolerance:G3}):{Environment.NewLine}{List(differences)}"));
            }
        }
    }

    private static string? Compare(string expectedLabel, IReadOnlyList<float> expectedScores, string actualLabel, IReadOnlyList<float> actualScores, float tolerance, IReadOnlyList<string> classes)
    {
        if (!string.Equals(expectedLabel, actualLabel, StringComparison.Ordinal))
        {
            return $"label {actualLabel}, expected {expectedLabel}";
        }

        if (actualScores.Count != expectedScores.Count)
        {
            return $"{actualScores.Count} scores, expected {expectedScores.Count}";
        }

        for (int k = 0; k < expectedScores.Count; k++)
        {
            if (!(Math.Abs(expectedScores[k] - actualScores[k]) <= tolerance))
            {
                return string.Create(CultureInfo.InvariantCulture, $"score of {classes[k]} {actualScores[k]:G6}, expected {expectedScores[k]:G6}");
            }
        }

        return null;
    }

    private static void CheckMinimum(double minimum)
    {
        if (!(minimum is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minimum), minimum, $"Parameter \"minimum\" must be an accuracy in [0, 1], was {minimum.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static void CheckNotEmpty(ImageSet images)
    {
        if (images.Count == 0)
        {
            throw new TransferAssertionException("The image set is empty; an assertion over no images proves nothing. Pass at least one image.");
        }
    }

    private static string List(List<string> lines)
    {
        var sb = new StringBuilder();
        foreach (string line in lines.Take(MaxListed))
        {
            sb.Append("  ").AppendLine(line);
        }

        if (lines.Count > MaxListed)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  … and {lines.Count - MaxListed} more");
        }

        return sb.ToString().TrimEnd();
    }

    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class ScoreOutput
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];
    }
}
