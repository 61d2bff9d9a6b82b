using Transfer.Featurization;

namespace Transfer.Heads;

/// <summary>Trains a classification head on bottleneck features. Implementations, one folder each: <see cref="AutoHeadTrainer"/> (the default), <see cref="MaximumEntropyHeadTrainer"/>, <see cref="MlNetHeadTrainer"/> (ML.NET trainers), <see cref="NeuralHeadTrainer"/>.</summary>
public abstract class HeadTrainer
{
    /// <summary>Gets a short name for reports and the run manifest (e.g. <c>lbfgs</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Gets a canonical description of the trainer and its options, for the run manifest.</summary>
    public abstract string Describe();

    /// <summary>Trains a head.</summary>
    /// <param name="train">Training features and class indices.</param>
    /// <param name="validation">Validation features, or <see langword="null"/>.</param>
    /// <param name="classes">Class names (class index <c>i</c> is <c>classes[i]</c>).</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <returns>The trained head.</returns>
    /// <exception cref="ArgumentException">Fewer than two classes, or no training rows.</exception>
    public abstract TrainedHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default);

    /// <summary>Checks what every head needs: rows, at least two classes present, and matching names.</summary>
    /// <param name="train">Training features.</param>
    /// <param name="classes">Class names.</param>
    /// <exception cref="ArgumentException">A requirement is not met; the message says how to fix it.</exception>
    protected static void CheckTrainingData(FeatureMatrix train, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(classes);
        if (train.Count == 0)
        {
            throw new ArgumentException("No training images: every image was skipped or the set is empty. Check the skipped list and the folder.", nameof(train));
        }

        if (classes.Count != train.ClassCount)
        {
            throw new ArgumentException($"{classes.Count} class names were given for {train.ClassCount} classes.", nameof(classes));
        }

        var present = new HashSet<int>();
        for (int i = 0; i < train.Count; i++)
        {
            present.Add(train.Labels[i]);
        }

        if (present.Count < 2)
        {
            string only = present.Count == 1 ? classes[present.First()] : "none";
            var empty = classes.Where((_, i) => !present.Contains(i)).Select(c => $"\"{c}\"").ToList();
            string emptyNote = empty.Count > 0 ? $" Classes with no usable images: {string.Join(", ", empty)} (were their images skipped as unreadable?)." : string.Empty;
            throw new ArgumentException($"Only one class found in the training images (\"{only}\"); a classifier needs at least two.{emptyNote} Add a folder of images for each other class.", nameof(train));
        }
    }
}
