using SkiaSharp;
using Transfer.Core.Tests.Caching;
using Transfer.Core.Tests.Images;
using Transfer.Evaluation;
using Transfer.Heads.Neural;
using Transfer.Images;

namespace Transfer.Core.Tests.Reporting;

/// <summary>A small evaluation with known numbers over real PNG files written to a temp folder.</summary>
internal sealed class ReportFixture : IDisposable
{
    // Class names that need escaping in HTML and Markdown, and one that is not ASCII.
    public static readonly string[] Classes = ["<b>cat</b> & co", "dög|猫", "plain"];

    // True label and the probabilities given to each class, one row per test image.
    private static readonly (int Label, float[] P)[] Rows =
    [
        (0, [0.90f, 0.05f, 0.05f]),
        (0, [0.20f, 0.70f, 0.10f]), // wrong: cat → dog, loss −ln 0.2
        (0, [0.60f, 0.30f, 0.10f]),
        (1, [0.05f, 0.94f, 0.01f]),
        (1, [0.80f, 0.15f, 0.05f]), // wrong: dog → cat, loss −ln 0.15
        (1, [0.01f, 0.01f, 0.98f]), // wrong: dog → plain, loss −ln 0.01 (the worst)
        (2, [0.10f, 0.10f, 0.80f]),
        (2, [0.30f, 0.30f, 0.40f]),
        (2, [0.45f, 0.10f, 0.45f]), // tie: argmax takes the first, cat; loss −ln 0.45
    ];

    private readonly CacheTestDirectory _dir = new();

    public ReportFixture()
    {
        var images = new List<ImageEntry>();
        for (int i = 0; i < Rows.Length; i++)
        {
            string path = _dir.Combine($"img{i}_{Rows[i].Label}.png");
            int shade = 40 + (i * 20);
            File.WriteAllBytes(path, TestImages.Png(28, 28, (x, y) => (x + y) % 7 == 0 ? SKColors.White : new SKColor((byte)shade, (byte)(255 - shade), 90)));
            images.Add(ImageEntry.FromFile(path, Classes[Rows[i].Label]));
        }

        Images = images;
        Evaluation = Evaluator.Evaluate(Classes, [.. Rows.SelectMany(r => r.P)], [.. Rows.Select(r => r.Label)]);
    }

    public string Folder => _dir.Path;

    public IReadOnlyList<ImageEntry> Images { get; }

    public EvaluationResult Evaluation { get; }

    public static TrainingHistory History(int epochs = 6, int best = 4, bool stoppedEarly = true)
    {
        var list = new List<EpochMetrics>();
        for (int e = 1; e <= epochs; e++)
        {
            list.Add(new EpochMetrics
            {
                Epoch = e,
                TotalEpochs = 10,
                Batches = 12,
                TrainAccuracy = 0.5 + (0.05 * e),
                TrainCrossEntropy = 1.5 / e,
                ValidationAccuracy = 0.45 + (0.04 * e),
                ValidationCrossEntropy = 1.6 / e + (e > best ? 0.05 * (e - best) : 0),
                LearningRate = 1e-3 * Math.Pow(0.5, e - 1),
                Elapsed = TimeSpan.FromMilliseconds(100 + e),
            });
        }

        return new TrainingHistory(list, best, stoppedEarly);
    }

    public void Dispose() => _dir.Dispose();
}
