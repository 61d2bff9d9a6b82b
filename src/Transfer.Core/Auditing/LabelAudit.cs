using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Auditing;

/// <summary>
/// Audits the labels of a training set on its cached features, as cleanlab and fastai's <c>ImageClassifierCleaner</c>
/// do: every image is scored by a head cross-validated without it (out-of-fold probabilities), and the images whose
/// given label gets a low probability are ranked as suspects (self-confidence, cleanlab's default ranking: on Fashion-MNIST
/// with 10 % of the labels flipped, it put 87 % of the flipped images in the top 500, against 77 % for the normalised
/// margin and 71 % for confident learning's label issues first; docs/AUDIT.md); images whose centred, normalised features are nearly the same (or whose bytes are) are listed as near-duplicates, those filed under two
/// classes first. Exact files found twice by content are in <see cref="DatasetAudit"/> too, with train/test leakage.
/// </summary>
/// <example>
/// <code>
/// var embeddings = await TransferPipeline.For(ImageSet.FromDirectory("photos")).Build().FeaturizeAsync();
/// var audit = LabelAudit.Run(embeddings.Features, embeddings.Images, embeddings.Classes);
/// foreach (var s in audit.Suspects.Take(20)) Console.WriteLine($"{s.Image.Name}: {s.GivenLabel} → {s.SuggestedLabel}?");
/// </code>
/// </example>
public static partial class LabelAudit
{
    /// <summary>Audits a labelled feature matrix: cross-validates <see cref="LabelAuditOptions.Head"/> (default: the automatic head) for out-of-fold probabilities, then ranks suspects and finds near-duplicates.</summary>
    /// <param name="features">One row per image; labels are indices into <paramref name="classes"/>.</param>
    /// <param name="images">The images, in row order (their paths name the suspects).</param>
    /// <param name="classes">The class names.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the audit between folds and between images.</param>
    /// <returns>The suspects and near-duplicates.</returns>
    /// <exception cref="ArgumentException">The images do not match the rows, fewer than two classes have images, or a class has a single image (cross-validation needs two).</exception>
    /// <exception cref="Validation.OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static LabelAuditResult Run(FeatureMatrix features, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> classes, LabelAuditOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LabelAuditOptions();
        options.Validate();
        Check(features, images, classes);
        var labels = features.Labels.AsSpan(0, features.Count).ToArray();
        var present = labels.Distinct().Count();
        if (present < 2)
        {
            throw new ArgumentException($"The audit compares classes, and the images hold only one (\"{classes[labels.FirstOrDefault()]}\"): a label can only be doubted against another class. Add a folder of images for each other class.", nameof(features));
        }

        int folds = CrossValidation.UsableFolds(labels, options.Folds);
        if (folds < 2)
        {
            var single = labels.GroupBy(l => l).Where(g => g.Count() == 1).Select(g => $"\"{classes[g.Key]}\"");
            throw new ArgumentException($"The audit cross-validates, which needs at least two images of every class; {string.Join(", ", single)} has only one. Add images to it or leave it out.", nameof(features));
        }

        CrossValidationResult cv;
        string judge;
        if (options.Head is null or AutoHeadTrainer)
        {
            var auto = options.Head as AutoHeadTrainer ?? new AutoHeadTrainer(new AutoHeadOptions { Folds = options.Folds, Seed = options.Seed });
            var selection = auto.Select(features, classes, cancellationToken);
            cv = selection.ChosenCrossValidation;
            judge = $"auto: {selection.Candidates.First(c => c.Chosen).Name}";
            folds = selection.Folds;
        }
        else
        {
            var assignment = CrossValidation.StratifiedFolds(labels, folds, options.Seed);
            cv = CrossValidation.Run(options.Head, features, classes, assignment, cancellationToken);
            judge = options.Head.Name;
        }

        return Analyze(features, images, classes, cv.Evaluation.Probabilities, judge, folds, options, cancellationToken);
    }

    /// <summary>
    /// Audits with out-of-fold probabilities already computed, e.g. a training run's head selection
    /// (<see cref="HeadSelection.ChosenCrossValidation"/>): no head is trained here.
    /// </summary>
    /// <param name="features">One row per image, the rows that were cross-validated, in the same order.</param>
    /// <param name="images">The images, in row order.</param>
    /// <param name="classes">The class names.</param>
    /// <param name="crossValidation">The cross-validation of <paramref name="features"/>.</param>
    /// <param name="judge">What produced the probabilities, for the result (e.g. the head's name).</param>
    /// <param name="options">The options (<see cref="LabelAuditOptions.Head"/> and <see cref="LabelAuditOptions.Seed"/> are not used); <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the audit between images.</param>
    /// <returns>The suspects and near-duplicates.</returns>
    /// <exception cref="ArgumentException">The images or the cross-validation do not match the rows.</exception>
    /// <exception cref="Validation.OptionsValidationException">The options are invalid.</exception>
    public static LabelAuditResult FromCrossValidation(FeatureMatrix features, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> classes, CrossValidationResult crossValidation, string judge, LabelAuditOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crossValidation);
        ArgumentException.ThrowIfNullOrEmpty(judge);
        options ??= new LabelAuditOptions();
        options.Validate();
        Check(features, images, classes);
        var e = crossValidation.Evaluation;
        if (e.Count != features.Count || e.Classes.Count != classes.Count || !e.Labels.SequenceEqual(features.Labels.Take(features.Count)))
        {
            throw new ArgumentException($"Parameter \"crossValidation\" must score the {features.Count} rows of the features, in order ({classes.Count} classes); it scored {e.Count} rows of {e.Classes.Count} classes, or other labels.", nameof(crossValidation));
        }

        return Analyze(features, images, classes, e.Probabilities, judge, crossValidation.FoldAccuracies.Count, options, cancellationToken);
    }

    private static void Check(FeatureMatrix features, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(classes);
        if (features.Count == 0)
        {
            throw new ArgumentException("No images to audit: the set is empty or every image was skipped. Check the folder and the skipped list.", nameof(features));
        }

        if (images.Count != features.Count)
        {
            throw new ArgumentException($"Parameter \"images\" must hold one image per feature row ({features.Count}), had {images.Count}. Pass the featurization's Images list, which skips the same images.", nameof(images));
        }

        if (classes.Count != features.ClassCount)
        {
            throw new ArgumentException($"Parameter \"classes\" must name the {features.ClassCount} classes of the features, had {classes.Count}.", nameof(classes));
        }
    }

    private static LabelAuditResult Analyze(FeatureMatrix features, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> classes, IReadOnlyList<float> probabilities, string judge, int folds, LabelAuditOptions options, CancellationToken cancellationToken)
    {
        var (suspects, accuracy) = RankSuspects(probabilities, features.Labels, features.Count, images, classes);
        var duplicates = FindDuplicates(features, images, options.DuplicateThreshold, options.MaxDuplicatesPerImage, cancellationToken);
        return new LabelAuditResult(features.Count, classes, judge, folds, accuracy, suspects, options.DuplicateThreshold, duplicates);
    }
}
