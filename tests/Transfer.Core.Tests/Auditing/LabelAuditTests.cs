using Transfer.Auditing;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Core.Tests.Auditing;

public sealed class LabelAuditTests
{
    private static readonly FeaturizerOptions NoSavedGraphs = new() { OptimizedGraphDirectory = null };

    [Fact]
    public async Task Run_PlantedMislabelAndDuplicates_MislabelRankedFirstAndPairsFound()
    {
        // Synthetic shapes through the tiny backbone: one circle filed as a square, a circle re-encoded as JPEG and filed
        // as a triangle (a near-duplicate across classes), and a byte-identical copy of a square (an identical pair).
        var options = new SyntheticImageOptions { ImagesPerClass = 10 };
        var entries = SyntheticImages.InMemory(options).Entries.ToList();
        int planted = entries.FindIndex(e => e.Label == "circle");
        entries[planted] = entries[planted].WithLabel("square");
        var circle = options.Classes.Single(c => c.Name == "circle");
        entries.Add(ImageEntry.FromBytes(SyntheticImages.Draw(circle, 3, options with { Format = SyntheticImageFormat.Jpeg }), "triangle", "circle-3-as-jpeg"));
        var square = entries.First(e => e.Label == "square" && e.Name != entries[planted].Name);
        entries.Add(ImageEntry.FromBytes(square.ReadBytes(), "square", "square-copy"));
        var set = ImageSet.FromEntries(entries);
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        var features = await featurizer.FeaturizeAsync(set);

        var audit = LabelAudit.Run(features.Features, features.Images, features.Classes, new LabelAuditOptions { Head = new MaximumEntropyHeadTrainer() });

        var first = audit.Suspects[0];
        Assert.True(first.Image.Name == entries[planted].Name, string.Join("; ", audit.Suspects.Take(4)));
        Assert.Equal(("square", "circle"), (first.GivenLabel, first.SuggestedLabel));
        Assert.True(first.IsLabelIssue);
        Assert.Equal(1 - first.GivenProbability, first.Score, 5);
        Assert.All(audit.Suspects, s => Assert.True(s.SuggestedProbability > s.GivenProbability || s.IsLabelIssue));
        Assert.Equal(audit.Suspects.Select(s => s.Score).OrderDescending(), audit.Suspects.Select(s => s.Score));
        Assert.Equal("lbfgs", audit.Judge);
        Assert.InRange(audit.OutOfFoldAccuracy, 0.8, 0.99); // the planted labels are wrong, so never 1

        var cross = audit.Duplicates[0]; // across classes first
        Assert.True(cross.CrossClass);
        Assert.Equal(("circle", "triangle"), (cross.A.Label, cross.B.Label));
        Assert.Equal("circle-3-as-jpeg", cross.B.Name);
        Assert.False(cross.Identical);
        Assert.InRange(cross.Similarity, LabelAuditOptions.DefaultDuplicateThreshold, 1.0001f);
        var identical = Assert.Single(audit.Duplicates, d => d.Identical);
        Assert.Equal((square.Name, "square-copy"), (identical.A.Name, identical.B.Name));
        Assert.False(identical.CrossClass);
        Assert.Equal(1, audit.IdenticalDuplicates);
        Assert.Equal(audit.Duplicates.Count(d => d.CrossClass), audit.CrossClassDuplicates);
        Assert.Contains($"{audit.Images} images: {audit.Suspects.Count} suspect labels", audit.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FromCrossValidation_ReusesOutOfFoldProbabilities_NoHeadTrained()
    {
        // Three classes on three axes; row 5 sits at class 0 but is labelled 2. Hand-made out-of-fold probabilities say so.
        var (features, images, classes) = Clusters(out int wrong);
        var probabilities = new float[features.Count * 3];
        for (int i = 0; i < features.Count; i++)
        {
            int truth = i == wrong ? 0 : features.Labels[i];
            for (int k = 0; k < 3; k++)
            {
                probabilities[(i * 3) + k] = k == truth ? 0.8f : 0.1f;
            }
        }

        var cv = new CrossValidationResult(Evaluator.Evaluate(classes, probabilities, features.Labels), [0.9, 0.9]);

        var audit = LabelAudit.FromCrossValidation(features, images, classes, cv, "hand-made", new LabelAuditOptions { DuplicateThreshold = 0.9999f });

        var suspect = Assert.Single(audit.Suspects);
        Assert.Equal((wrong, "c", "a", 0.9f), (suspect.Row, suspect.GivenLabel, suspect.SuggestedLabel, suspect.Score));
        Assert.True(suspect.IsLabelIssue);
        Assert.Equal(1, audit.LabelIssues);
        Assert.Equal(("hand-made", 2), (audit.Judge, audit.Folds));
        Assert.Equal(1 - (1.0 / features.Count), audit.OutOfFoldAccuracy, 6);
        Assert.Empty(audit.Duplicates); // distinct points, distinct bytes
    }

    [Fact]
    public void BadInput_ClearErrors()
    {
        var (features, images, classes) = Clusters(out _);

        var oneClass = new FeatureMatrix(features.Values, 4, features.Dimension, new int[4], 3);
        Assert.Contains("hold only one (\"a\")", Assert.Throws<ArgumentException>(() => LabelAudit.Run(oneClass, images.Take(4).ToList(), classes)).Message, StringComparison.Ordinal);

        var singleC = new FeatureMatrix(features.Values, 3, features.Dimension, [0, 0, 2], 3);
        Assert.Contains("\"c\" has only one", Assert.Throws<ArgumentException>(() => LabelAudit.Run(singleC, images.Take(3).ToList(), classes)).Message, StringComparison.Ordinal);

        var empty = new FeatureMatrix([], 0, features.Dimension, [], 3);
        Assert.Contains("No images to audit", Assert.Throws<ArgumentException>(() => LabelAudit.Run(empty, [], classes)).Message, StringComparison.Ordinal);
        Assert.Contains("one image per feature row (12), had 2", Assert.Throws<ArgumentException>(() => LabelAudit.Run(features, images.Take(2).ToList(), classes)).Message, StringComparison.Ordinal);

        var problems = Assert.Throws<OptionsValidationException>(() => LabelAudit.Run(features, images, classes, new LabelAuditOptions { Folds = 1, DuplicateThreshold = 1.5f, MaxDuplicatesPerImage = 0 })).Problems;
        Assert.Equal(["Folds must be at least 2, was 1.", "DuplicateThreshold must be a cosine similarity in (-1, 1], was 1.5.", "MaxDuplicatesPerImage must be at least 1, was 0."], problems);

        var otherRows = new CrossValidationResult(Evaluator.Evaluate(classes, new float[6 * 3], [0, 1, 2, 0, 1, 2]), [0.5, 0.5]);
        Assert.Contains("must score the 12 rows", Assert.Throws<ArgumentException>(() => LabelAudit.FromCrossValidation(features, images, classes, otherRows, "x")).Message, StringComparison.Ordinal);
    }

    /// <summary>Twelve points near three axes (classes a, b, c), each a distinct in-memory "image".</summary>
    private static (FeatureMatrix Features, List<ImageEntry> Images, string[] Classes) Clusters(out int wrong)
    {
        wrong = 5;
        var random = new Random(5);
        int n = 12, d = 3;
        var values = new float[n * d];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 3;
            int at = i == wrong ? 0 : labels[i];
            for (int k = 0; k < d; k++)
            {
                values[(i * d) + k] = (k == at ? 1f : 0f) + (float)(random.NextDouble() * 0.3);
            }
        }

        string[] classes = ["a", "b", "c"];
        labels[wrong] = 2;
        var images = Enumerable.Range(0, n).Select(i => ImageEntry.FromBytes(new byte[] { (byte)i, 1, 2 }, classes[labels[i]], $"p{i}")).ToList();
        return (new FeatureMatrix(values, n, d, labels, 3), images, classes);
    }
}
