using System.Diagnostics;
using System.Text.RegularExpressions;
using SkiaSharp;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;
using Transfer.Reporting;

namespace Transfer.IntegrationTests.Reporting;

/// <summary>A QuickStart-style report from a small real run (real ResNet18 features of the embedded Fashion-MNIST images, a softmax head with curves), rendered in headless Chromium.</summary>
public sealed class ReportBrowserTests
{
    private const int TrainPerClass = 10;
    private const int TestPerClass = 5;

    [SkippableFact]
    public async Task Report_QuickStartRun_RendersInHeadlessChromiumAsNonBlankPage()
    {
        string? browser = HeadlessChromium.Find();
        if (browser is null && HeadlessChromium.Required)
        {
            Assert.Fail("TRANSFER_REQUIRE_BROWSER=1 but no Chromium was found at /usr/bin/chromium or on PATH. Install Debian's 'chromium' package (.ci/run does).");
        }

        Skip.If(browser is null, "Headless Chromium is not installed (/usr/bin/chromium); install Debian's 'chromium' package to run this test. Set TRANSFER_REQUIRE_BROWSER=1 to make this a failure.");

        // 1. A small real run: the first images of each class of the QuickStart data.
        var train = ImageSet.FromEntries(FirstOfEachClass(ImageSet.FromDirectory(TestData.QuickStartTrain), TrainPerClass));
        var test = ImageSet.FromEntries(FirstOfEachClass(ImageSet.FromDirectory(TestData.QuickStartTest), TestPerClass), train.Classes);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        var clock = Stopwatch.StartNew();
        var trainFeatures = await featurizer.FeaturizeAsync(train);
        var testFeatures = await featurizer.FeaturizeAsync(test);
        var featurizeTime = clock.Elapsed;
        var trainer = new NeuralHeadTrainer(new SoftmaxHead(new NeuralHeadOptions { Epochs = 25, Schedule = new CosineDecaySchedule(), ValidationFraction = 0.2, Seed = 7 }));
        clock.Restart();
        var head = trainer.Train(trainFeatures.Features, null, train.Classes);
        var trainTime = clock.Elapsed;
        var evaluation = Evaluation.Evaluator.Evaluate(head, testFeatures.Features);
        using var model = TransferModel.Create(featurizer, head, trainer.Describe());
        var manifest = RunManifest.FromModel(model, seed: 7, RunManifest.ComputeDatasetHash(train.Entries, test.Entries), [new("featurize", featurizeTime), new("train head", trainTime)]);

        // 2. The report, saved where CI collects artifacts.
        var report = EvaluationReport.Create(evaluation, testFeatures.Images, model.Head.History, DatasetSummary.FromImageSets(train, test), manifest, new EvaluationReportOptions { Title = "QuickStart subset report" });
        string artifacts = HeadlessChromium.ArtifactsDirectory();
        string page = Path.Combine(artifacts, "quickstart-report.html");
        string screenshot = Path.Combine(artifacts, "quickstart-report.png");
        report.Write(page);
        string html = File.ReadAllText(page);
        Assert.Equal(16, Regex.Count(html, "<img class=\"thumb\" alt=\"[^\"]+\" src=\"data:image/png;base64,"));
        Assert.Equal(3, Regex.Count(html, "id=\"(loss|accuracy|learning-rate)-curve\""));
        Assert.Contains($"<td>{TestPerClass}</td></tr>", html);

        // 3. Chromium renders it: the screenshot has the page's colours, not a blank or error page.
        HeadlessChromium.Screenshot(browser!, page, screenshot);
        using var shot = SKBitmap.Decode(screenshot);
        Assert.NotNull(shot);
        Assert.Equal((1280, 2000), (shot.Width, shot.Height));
        var (variance, colours, headerBlue, heatMapBlue) = Measure(shot);
        Assert.True(variance > 200, $"Screenshot {screenshot} looks blank: luminance variance {variance:F1}.");
        Assert.True(colours >= 50, $"Screenshot {screenshot} has only {colours} distinct colours.");
        Assert.True(headerBlue > 1200 * 40, $"Screenshot {screenshot} lacks the report's blue header ({headerBlue} pixels): the page or its styles did not render.");
        Assert.True(heatMapBlue > 5000, $"Screenshot {screenshot} lacks the confusion heat map's blue diagonal ({heatMapBlue} pixels): the inline PNG did not render.");
    }

    private static List<ImageEntry> FirstOfEachClass(ImageSet set, int count) =>
        [.. set.Entries.GroupBy(e => e.Label).SelectMany(g => g.Take(count))];

    private static (double Variance, int Colours, int HeaderBlue, int HeatMapBlue) Measure(SKBitmap shot)
    {
        double sum = 0, sumSquares = 0;
        int n = 0, header = 0, heatMap = 0;
        var colours = new HashSet<uint>();
        for (int y = 0; y < shot.Height; y++)
        {
            for (int x = 0; x < shot.Width; x++)
            {
                SKColor c = shot.GetPixel(x, y);
                double luminance = (0.299 * c.Red) + (0.587 * c.Green) + (0.114 * c.Blue);
                sum += luminance;
                sumSquares += luminance * luminance;
                n++;
                colours.Add((uint)c & 0xFFF8F8F8);
                // The header band is the report's blue (#1F5AA6); below it, strong blues are the heat map's well-classified diagonal cells.
                if (y < 50 && Math.Abs(c.Red - 0x1F) < 12 && Math.Abs(c.Green - 0x5A) < 12 && Math.Abs(c.Blue - 0xA6) < 12)
                {
                    header++;
                }
                else if (y > 110 && c.Blue - c.Red >= 100 && c.Red < 130)
                {
                    heatMap++;
                }
            }
        }

        double mean = sum / n;
        return ((sumSquares / n) - (mean * mean), colours.Count, header, heatMap);
    }
}
