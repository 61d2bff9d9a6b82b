using System.Text.RegularExpressions;
using Transfer.Auditing;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Reporting;

namespace Transfer.Core.Tests.Reporting;

/// <summary>The report's label audit section and each top loss's nearest training images.</summary>
public sealed class EvaluationReportAuditTests : IDisposable
{
    private readonly ReportFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void ToHtml_LabelAuditAndNearestTraining_ListsSuspectsDuplicatesAndNeighbours()
    {
        // The fixture's nine images stand for the training set too (a cross-validated estimate): its probabilities are
        // the out-of-fold ones, and row 7 ("plain") has nearly the features of row 0 ("cat"), a near-duplicate across classes.
        var features = Features();
        var audit = LabelAudit.FromCrossValidation(features, _data.Images, ReportFixture.Classes, new CrossValidationResult(_data.Evaluation, [0.5, 0.5]), "test judge");
        var summary = EvaluationReportTests.Summary() with { LabelAudit = audit, NearestTraining = new NearestTrainingImages(features, _data.Images, features, _data.Images) };

        string html = EvaluationReport.Create(_data.Evaluation, _data.Images, dataset: summary, options: new EvaluationReportOptions { TopLossCount = 4, NearestTrainingCount = 2, AuditCount = 2 }).ToHtml();

        Assert.Contains("<a href=\"#label-audit\">Label audit</a>", html);
        Assert.Contains("scored by a head trained without it (test judge, 2-fold cross-validation)", html);
        var suspects = Regex.Matches(Section(html, "suspects-table"), "<tr><td><img class=\"thumb\"[^>]*></td><td class=\"label\">([^<]*)</td><td class=\"label\"><b>([^<]*)</b></td>");
        Assert.Equal([5, 4, 1], audit.Suspects.Select(s => s.Row)); // the wrong ones, lowest p(given) first; the tie at row 8 is no suspect
        Assert.Equal(2, suspects.Count); // AuditCount = 2
        Assert.Equal(("dög|猫", "plain"), (suspects[0].Groups[1].Value, suspects[0].Groups[2].Value)); // row 5: p(true) 0.01

        string pairs = Section(html, "near-duplicates-table");
        Assert.Contains("<span class=\"warn\">&lt;b&gt;cat&lt;/b&gt; &amp; co ≠ plain</span>", pairs);
        Assert.Contains(_data.Images[0].Path!, pairs);
        Assert.Contains(_data.Images[7].Path!, pairs);

        Assert.Contains($"Label audit (test judge, out of fold): 3 suspect labels ({audit.LabelIssues} label issues), {audit.Duplicates.Count} near-duplicate pair", EvaluationReport.Create(_data.Evaluation, dataset: summary).ToMarkdown(), StringComparison.Ordinal);

        var figures = Regex.Matches(html, "<figure class=\"top-loss[^\"]*\" data-row=\"(\\d+)\">(.*?)</figure>", RegexOptions.Singleline);
        Assert.Equal(4, figures.Count);
        foreach (Match f in figures)
        {
            var neighbours = Regex.Matches(f.Groups[2].Value, "<div class=\"neighbor\" title=\"([^\"]*)\"><img class=\"thumb\"");
            Assert.Equal(2, neighbours.Count);
            Assert.DoesNotContain(_data.Images[int.Parse(f.Groups[1].Value)].Path!, neighbours.Select(n => n.Groups[1].Value)); // never itself
        }
    }

    [Fact]
    public void ToHtml_NoLabelAudit_SaysNotCheckedAndHowToCheck()
    {
        string html = EvaluationReport.Create(_data.Evaluation, _data.Images, dataset: EvaluationReportTests.Summary()).ToHtml();

        Assert.Contains("Not checked: the run did not cross-validate its training images", html);
        Assert.DoesNotContain("nearest training images", html);
    }

    private FeatureMatrix Features()
    {
        int n = _data.Images.Count, d = 4;
        var random = new Random(2);
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        for (int k = 0; k < d; k++)
        {
            values[(7 * d) + k] = values[k] + 0.001f;
        }

        return new FeatureMatrix(values, n, d, [.. _data.Evaluation.Labels], ReportFixture.Classes.Length);
    }

    private static string Section(string html, string id)
    {
        int start = html.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {id} in the report");
        return html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)];
    }
}
