using Transfer.Featurization;
using Transfer.Images;
using Transfer.Search;

namespace Transfer.Reporting;

/// <summary>
/// Finds the training images nearest to each evaluated image (cosine similarity of features centred on the training
/// mean, <see cref="VectorIndex"/>): the report shows them beside each of the worst mistakes, so a look tells whether the
/// head was misled by similar training images filed under the predicted class.
/// </summary>
public sealed class NearestTrainingImages
{
    private readonly VectorIndex index;
    private readonly FeatureMatrix evaluated;
    private readonly IReadOnlyList<ImageEntry> evaluatedImages;

    /// <summary>Indexes the training features.</summary>
    /// <param name="training">The training features, one row per image.</param>
    /// <param name="trainingImages">The training images, in row order.</param>
    /// <param name="evaluated">The evaluated images' features, in the evaluation's row order (the training features themselves for a cross-validated estimate).</param>
    /// <param name="evaluatedImages">The evaluated images, in row order: a training image is never its own neighbour.</param>
    /// <exception cref="ArgumentException">The images do not match the rows, there are no training rows, or the feature lengths differ.</exception>
    public NearestTrainingImages(FeatureMatrix training, IReadOnlyList<ImageEntry> trainingImages, FeatureMatrix evaluated, IReadOnlyList<ImageEntry> evaluatedImages)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(trainingImages);
        ArgumentNullException.ThrowIfNull(evaluated);
        ArgumentNullException.ThrowIfNull(evaluatedImages);
        if (trainingImages.Count != training.Count || evaluatedImages.Count != evaluated.Count)
        {
            throw new ArgumentException($"One image per feature row is needed: {training.Count} training rows with {trainingImages.Count} images, {evaluated.Count} evaluated rows with {evaluatedImages.Count} images.", nameof(trainingImages));
        }

        if (evaluated.Dimension != training.Dimension)
        {
            throw new ArgumentException($"The evaluated features have {evaluated.Dimension} values per row and the training features {training.Dimension}: they must come from the same backbone.", nameof(evaluated));
        }

        index = VectorIndex.Build(training, [.. trainingImages.Select(e => e.Name)]);
        TrainingImages = trainingImages;
        this.evaluated = evaluated;
        this.evaluatedImages = evaluatedImages;
    }

    /// <summary>Gets the training images (<see cref="SimilarImage.Index"/> of a match indexes this list).</summary>
    public IReadOnlyList<ImageEntry> TrainingImages { get; }

    /// <summary>The training images most similar to evaluated row <paramref name="row"/>, most similar first, itself left out.</summary>
    /// <param name="row">The evaluated image's row.</param>
    /// <param name="top">How many to return.</param>
    /// <returns>The matches (<see cref="SimilarImage.Index"/> into <see cref="TrainingImages"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row, or <paramref name="top"/> is below 1.</exception>
    public IReadOnlyList<SimilarImage> Find(int row, int top)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, evaluated.Count);
        string self = evaluatedImages[row].Name;
        return [.. index.Search(evaluated.Row(row), top + 1).Where(m => !string.Equals(m.Key, self, StringComparison.Ordinal)).Take(top)];
    }
}
