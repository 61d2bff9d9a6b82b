using System.Net;
using System.Text.RegularExpressions;
using SkiaSharp;
using Transfer.Caching;
using Transfer.Images;
using Transfer.Reporting;
using Transfer.Validation;

namespace Transfer.Core.Tests.Reporting;

public sealed class EvaluationReportTests : IDisposable
{
    private readonly ReportFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void ToHtml_PerClassTable_HoldsEachClassMetricsAndSupport()
    {
        string html = EvaluationReport.Create(_data.Evaluation, _data.Images).ToHtml();

        var rows = TableRows(html, "per-class-table", "tbody");
        Assert.Equal(3, rows.Count);
        Assert.Equal(["<b>cat</b> & co", "0.500", "0.667", "0.571", "3"], rows[0]);
        Assert.Equal(["dög|猫", "0.500", "0.333", "0.400", "3"], rows[1]);
        Assert.Equal(["plain", "0.667", "0.667", "0.667", "3"], rows[2]);
        Assert.Equal("9", TableRows(html, "per-class-table", "tfoot")[0][4]);
    }

    [Fact]
    public void ToHtml_Summary_ShowsMetricsAndCorrectCount()
    {
        string html = EvaluationReport.Create(_data.Evaluation).ToHtml();

        Assert.Contains(_data.Evaluation.MicroAccuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), html);
        Assert.Contains(_data.Evaluation.LogLoss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), html);
        Assert.Contains("5 of 9 right", html);
        Assert.Contains("top-3 accuracy", html);
    }

    [Fact]
    public void ToHtml_ConfusionTable_HoldsEveryCount()
    {
        string html = EvaluationReport.Create(_data.Evaluation).ToHtml();

        var rows = TableRows(html, "confusion-table", "tbody");
        Assert.Equal(["<b>cat</b> & co", "2", "1", "0"], rows[0]);
        Assert.Equal(["dög|猫", "1", "1", "1"], rows[1]);
        Assert.Equal(["plain", "1", "0", "2"], rows[2]);
        AssertPng(ImageSource(html, "confusion-heatmap"));
    }

    [Fact]
    public void MostConfused_CountsOffDiagonalCells_MostFirstThenByName()
    {
        var report = EvaluationReport.Create(_data.Evaluation);

        Assert.Equal(
            [("<b>cat</b> & co", "dög|猫"), ("dög|猫", "<b>cat</b> & co"), ("dög|猫", "plain"), ("plain", "<b>cat</b> & co")],
            report.MostConfused.Select(p => (p.TrueLabel, p.PredictedLabel)));
        Assert.All(report.MostConfused, p => Assert.Equal(1, p.Count));
        Assert.All(report.MostConfused, p => Assert.Equal(1 / 3.0, p.FractionOfTrue, 6));
        Assert.Equal(4, TableRows(EvaluationReport.Create(_data.Evaluation).ToHtml(), "confused-pairs-table", "tbody").Count);
    }

    [Fact]
    public void TopLosses_HighestCrossEntropyFirst_WithPredictionAndConfidence()
    {
        var report = EvaluationReport.Create(_data.Evaluation, _data.Images, options: new EvaluationReportOptions { TopLossCount = 4 });

        Assert.Equal([5, 4, 1, 7], report.TopLosses.Select(t => t.Row));
        var worst = report.TopLosses[0];
        Assert.Equal("dög|猫", worst.TrueLabel);
        Assert.Equal("plain", worst.PredictedLabel);
        Assert.Equal(0.98, worst.Confidence, 5);
        Assert.Equal(-Math.Log(0.01), worst.Loss, 4);
        Assert.EndsWith("img5_1.png", worst.Source);
        Assert.Equal("plain", report.TopLosses[3].PredictedLabel); // right but unsure: still a high loss
    }

    [Fact]
    public void ToHtml_TopLosses_EveryThumbnailPresentAsDecodablePng()
    {
        var report = EvaluationReport.Create(_data.Evaluation, _data.Images, options: new EvaluationReportOptions { TopLossCount = 9, ThumbnailSize = 64 });
        string html = report.ToHtml();

        var figures = Regex.Matches(html, "<figure class=\"top-loss[^\"]*\" data-row=\"(\\d+)\">(.*?)</figure>", RegexOptions.Singleline);
        Assert.Equal(9, figures.Count);
        Assert.Equal(report.TopLosses.Select(t => t.Row.ToString()), figures.Select(f => f.Groups[1].Value));
        foreach (Match f in figures)
        {
            var src = Regex.Match(f.Groups[2].Value, "<img class=\"thumb\" alt=\"[^\"]*\" src=\"([^\"]+)\"");
            Assert.True(src.Success, $"figure for row {f.Groups[1].Value} has no thumbnail");
            using var bitmap = AssertPng(src.Groups[1].Value);
            Assert.Equal(64, Math.Max(bitmap.Width, bitmap.Height));
        }

        Assert.Equal(4, Regex.Count(html, "<figure class=\"top-loss wrong\"")); // rows 1, 4, 5 and the tie at row 8 (argmax takes the first class)
        Assert.Contains("predicted: <b>plain</b> (98.0%)", html);
    }

    [Fact]
    public void ToHtml_UnreadableImage_ShowsReasonInsteadOfThumbnail()
    {
        File.WriteAllText(_data.Images[5].Path!, "not an image");
        string html = EvaluationReport.Create(_data.Evaluation, _data.Images, options: new EvaluationReportOptions { TopLossCount = 2 }).ToHtml();

        Assert.Contains("image unavailable:", html);
        Assert.Contains("not a recognised image format", html);
        Assert.Single(Regex.Matches(html, "<img class=\"thumb\""));
    }

    [Fact]
    public void ToHtml_NoExternalUrls_EveryResourceInline()
    {
        var report = EvaluationReport.Create(_data.Evaluation, _data.Images, ReportFixture.History(), Summary(), Manifest());
        string html = report.ToHtml();

        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("<script", html);
        var refs = Regex.Matches(html, "\\b(src|href)=\"([^\"]*)\"").Select(m => m.Groups[2].Value).ToList();
        Assert.True(refs.Count > 10);
        Assert.All(refs, r => Assert.True(r.StartsWith("data:image/png;base64,", StringComparison.Ordinal) || r.StartsWith('#'), $"external or relative reference: {r[..Math.Min(40, r.Length)]}"));
    }

    [Fact]
    public void ToHtml_LabelsAndPathsWithMarkup_AreEscaped()
    {
        var summary = Summary() with { Skipped = [new SkippedImage("/data/<evil>&\"x\".png", "not a recognised image format <script>")] };
        string html = EvaluationReport.Create(_data.Evaluation, _data.Images, dataset: summary, manifest: Manifest()).ToHtml();

        Assert.DoesNotContain("<b>cat</b>", html);
        Assert.DoesNotContain("<evil>", html);
        Assert.DoesNotContain("<script", html);
        Assert.Contains("&lt;b&gt;cat&lt;/b&gt; &amp; co", html);
        Assert.Contains("/data/&lt;evil&gt;&amp;&quot;x&quot;.png", html);
        Assert.Contains("dög|猫", html); // Unicode stays readable in the UTF-8 page
        Assert.Contains("<meta charset=\"utf-8\">", html);
    }

    [Fact]
    public void ToHtml_WithHistory_DrawsLossAccuracyAndLearningRateCurves()
    {
        string html = EvaluationReport.Create(_data.Evaluation, history: ReportFixture.History()).ToHtml();

        foreach (string id in new[] { "loss-curve", "accuracy-curve", "learning-rate-curve" })
        {
            using var chart = AssertPng(ImageSource(html, id));
            Assert.True(DistinctColours(chart) > 8, $"{id} looks blank");
        }

        Assert.Equal(6, TableRows(html, "epoch-table", "tbody").Count);
        Assert.Contains("early stopping ended training after epoch 6 of 10; the weights of epoch 4", html);
    }

    [Fact]
    public void ToHtml_WithoutHistory_SaysCurvesAreNotApplicableForTheHead()
    {
        string html = EvaluationReport.Create(_data.Evaluation, manifest: Manifest()).ToHtml();

        Assert.Contains("Not applicable: the head &quot;LbfgsMaximumEntropy&quot; records no per-epoch history", html);
        Assert.DoesNotContain("id=\"loss-curve\"", html);
    }

    [Fact]
    public void ToHtml_DatasetSummary_ShowsCountsSkippedDuplicatesAndLeaks()
    {
        var testX = ImageEntry.FromFile("/test/x.png", "plain");
        var testY = ImageEntry.FromFile("/test/y.png", "plain");
        var summary = Summary() with
        {
            Skipped = [new SkippedImage("/d/broken.png", "the file is truncated"), new SkippedImage("/d/.hidden.png", "hidden file")],
            Duplicates = [new DuplicateGroup(ContentHash.Parse(new string('a', 64)), DatasetPart.Train, [ImageEntry.FromFile("/d/a.png", "plain"), ImageEntry.FromFile("/d/b.png", "plain")])],
            Leaks = [new ImageLeak(ContentHash.Parse(new string('b', 64)), [ImageEntry.FromFile("/train/x.png", "plain")], [testX, testY])],
        };
        string html = EvaluationReport.Create(_data.Evaluation, dataset: summary).ToHtml();

        Assert.Equal([["<b>cat</b> & co", "5", "3"], ["dög|猫", "4", "3"], ["plain", "6", "3"]], TableRows(html, "class-counts-table", "tbody"));
        Assert.Equal(["total", "15", "9"], TableRows(html, "class-counts-table", "tfoot")[0]);
        Assert.Equal([["/d/broken.png", "the file is truncated"], ["/d/.hidden.png", "hidden file"]], TableRows(html, "skipped-table", "tbody"));
        Assert.Single(TableRows(html, "duplicates-table", "tbody"));
        Assert.Contains($"{testX.Path}<br>{testY.Path}", html);
        Assert.Contains($"<td class=\"hash\">{new string('b', 12)}…</td>", html);
        Assert.Contains("overstate accuracy", html);
    }

    [Fact]
    public void ToHtml_AuditNotGiven_SaysNotCheckedRatherThanNone()
    {
        string html = EvaluationReport.Create(_data.Evaluation, dataset: Summary()).ToHtml();

        Assert.Contains("Not checked: no duplicate audit was given.", html);
        Assert.Contains("Not checked: no leakage audit was given.", html);
        string none = EvaluationReport.Create(_data.Evaluation, dataset: Summary() with { Duplicates = [], Leaks = [] }).ToHtml();
        Assert.Contains("None found: no two images have the same content.", none);
    }

    [Fact]
    public void ToHtml_Manifest_ShowsBackboneFingerprintHeadSeedHashPackagesAndTimings()
    {
        string html = EvaluationReport.Create(_data.Evaluation, manifest: Manifest()).ToHtml();

        var rows = TableRows(html, "manifest-table", "tbody").ToDictionary(r => r[0], r => r[1]);
        Assert.Equal("ResNet18", rows["backbone"]);
        Assert.Equal(new string('f', 64), rows["backbone fingerprint"]);
        Assert.Equal("LbfgsMaximumEntropy", rows["head"]);
        Assert.Equal("L1 = 1, L2 = 1", rows["head options"]);
        Assert.Equal("42", rows["seed"]);
        Assert.Equal(new string('d', 64), rows["dataset hash"]);
        Assert.Equal("12.50 s", rows["time: featurize"]);
        var packages = TableRows(html, "packages-table", "tbody").ToDictionary(r => r[0], r => r[1]);
        Assert.Contains("Microsoft.ML", packages.Keys);
        Assert.Contains("SkiaSharp", packages.Keys);
        Assert.Contains("Microsoft.ML.OnnxRuntime", packages.Keys);
    }

    [Fact]
    public void ToMarkdown_Summary_HasMetricsTableTopLossesAndEscapedLabels()
    {
        var report = EvaluationReport.Create(_data.Evaluation, _data.Images, dataset: Summary(), manifest: Manifest());
        string md = report.ToMarkdown();

        Assert.Contains("| micro-accuracy | macro-accuracy | log-loss | log-loss reduction | top-3 accuracy |", md);
        Assert.Contains("| dög\\|猫 | 0.500 | 0.333 | 0.400 | 3 |", md);
        Assert.Contains("| 1 | img5_1.png | dög\\|猫 | plain | 98.0% | 4.61 |", md);
        Assert.Contains("Most confused (true → predicted): \\<b\\>cat\\</b\\> & co → dög\\|猫 (1)", md);
        Assert.Contains("Dataset: 15 train / 9 test images; 0 skipped; duplicates: not checked", md);
        Assert.Contains("Run: ResNet18 (ffffffffffff…), head LbfgsMaximumEntropy, seed 42", md);
        Assert.Contains("Training: Not applicable", md);
        Assert.All(md.Split('\n').Where(l => l.StartsWith("| dög", StringComparison.Ordinal)), l => Assert.Equal(6, Regex.Count(l, @"(?<!\\)\|")));
    }

    [Fact]
    public void Write_Html_IsOneFileWithNothingBesideIt()
    {
        string path = Path.Combine(_data.Folder, "out", "model.report.html");
        EvaluationReport.Create(_data.Evaluation, _data.Images, ReportFixture.History(), Summary(), Manifest()).Write(path);

        string html = File.ReadAllText(path);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
        Assert.Equal(["model.report.html"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Create_TestImagesOfOtherLength_ThrowsNamingCountsAndFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => EvaluationReport.Create(_data.Evaluation, _data.Images.Take(8).ToList()));

        Assert.StartsWith("Parameter \"testImages\" must hold one image per evaluated row (9), had 8. Pass the test features' Images list", ex.Message);
    }

    [Fact]
    public void Create_TestImagesInOtherOrder_ThrowsNamingRowAndImage()
    {
        var shuffled = _data.Images.Reverse().ToList();

        var ex = Assert.Throws<ArgumentException>(() => EvaluationReport.Create(_data.Evaluation, shuffled));

        Assert.Contains("is not in evaluation row order: row 0 is", ex.Message);
        Assert.Contains("img8_2.png\" labelled \"plain\", but the evaluation's row 0 is class \"<b>cat</b> & co\"", ex.Message);
    }

    [Fact]
    public void Create_InvalidOptions_ListsEveryProblem()
    {
        var options = new EvaluationReportOptions { Title = " ", TopLossCount = -1, ThumbnailSize = 4, ConfusedPairCount = -2 };

        var ex = Assert.Throws<OptionsValidationException>(() => EvaluationReport.Create(_data.Evaluation, options: options));

        Assert.Equal(
            string.Join(Environment.NewLine, "Invalid EvaluationReportOptions / Validation Errors:", "- Title must not be empty; leave it out for \"Evaluation report\".", "- TopLossCount must be in [0, 500], was -1.", "- ConfusedPairCount must be 0 or more, was -2.", "- ThumbnailSize must be in [16, 512] pixels, was 4."),
            ex.Message);
    }

    internal static DatasetSummary Summary()
    {
        var train = ImageSet.FromEntries(
            Enumerable.Range(0, 15).Select(i => ImageEntry.FromBytes(new byte[] { 1 }, ReportFixture.Classes[i < 5 ? 0 : i < 9 ? 1 : 2], $"t{i}")),
            ReportFixture.Classes);
        var test = ImageSet.FromEntries(Enumerable.Range(0, 9).Select(i => ImageEntry.FromBytes(new byte[] { 2 }, ReportFixture.Classes[i / 3], $"s{i}")), ReportFixture.Classes);
        return DatasetSummary.FromImageSets(train, test);
    }

    internal static RunManifest Manifest() => new()
    {
        Backbone = "ResNet18",
        BackboneFingerprint = new string('f', 64),
        Head = "LbfgsMaximumEntropy",
        HeadOptions = "L1 = 1, L2 = 1",
        Classes = ReportFixture.Classes,
        Seed = 42,
        DatasetHash = new string('d', 64),
        TimingsSeconds = new Dictionary<string, double> { ["featurize"] = 12.5, ["train"] = 3.25 },
    };

    /// <summary>The decoded cell texts of one table section's rows.</summary>
    internal static List<string[]> TableRows(string html, string id, string part)
    {
        var table = Regex.Match(html, $"<table id=\"{id}\"[^>]*>(.*?)</table>", RegexOptions.Singleline);
        Assert.True(table.Success, $"table {id} not found");
        var section = Regex.Match(table.Groups[1].Value, $"<{part}>(.*?)</{part}>", RegexOptions.Singleline);
        Assert.True(section.Success, $"table {id} has no {part}");
        return Regex.Matches(section.Groups[1].Value, "<tr[^>]*>(.*?)</tr>", RegexOptions.Singleline)
            .Select(r => Regex.Matches(r.Groups[1].Value, "<t[hd][^>]*>(.*?)</t[hd]>", RegexOptions.Singleline)
                .Select(c => WebUtility.HtmlDecode(Regex.Replace(c.Groups[1].Value, "<[^>]+>", string.Empty)))
                .ToArray())
            .ToList();
    }

    internal static string ImageSource(string html, string id)
    {
        var m = Regex.Match(html, $"<img class=\"plot\" id=\"{id}\" alt=\"[^\"]*\" src=\"([^\"]+)\"");
        Assert.True(m.Success, $"image {id} not found");
        return m.Groups[1].Value;
    }

    internal static SKBitmap AssertPng(string dataUri)
    {
        const string prefix = "data:image/png;base64,";
        Assert.StartsWith(prefix, dataUri);
        var bitmap = SKBitmap.Decode(Convert.FromBase64String(dataUri[prefix.Length..]));
        Assert.NotNull(bitmap);
        return bitmap;
    }

    internal static int DistinctColours(SKBitmap bitmap)
    {
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 2)
        {
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                colours.Add((uint)bitmap.GetPixel(x, y));
            }
        }

        return colours.Count;
    }
}
