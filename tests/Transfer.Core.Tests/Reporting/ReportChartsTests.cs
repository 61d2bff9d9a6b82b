using SkiaSharp;
using Transfer.Reporting;

namespace Transfer.Core.Tests.Reporting;

public sealed class ReportChartsTests
{
    [Fact]
    public void ConfusionHeatMap_SixtyClassesWithLongNames_StaysReadableSizeAndShadesCells()
    {
        var classes = Enumerable.Range(0, 60).Select(i => $"class number {i} with a rather long descriptive name").ToList();
        var confusion = new int[60, 60];
        for (int i = 0; i < 60; i++)
        {
            confusion[i, i] = 9;
            confusion[i, (i + 1) % 60] = 1;
        }

        using var png = SKBitmap.Decode(ReportCharts.ConfusionHeatMap(classes, confusion));

        Assert.InRange(png.Width, 600, 1400);
        Assert.InRange(png.Height, 600, 1400);
        Assert.True(EvaluationReportTests.DistinctColours(png) > 10);
    }

    [Fact]
    public void ConfusionHeatMap_ClassWithoutTestImages_DrawsEmptyRow()
    {
        using var png = SKBitmap.Decode(ReportCharts.ConfusionHeatMap(["a", "b"], new int[,] { { 3, 1 }, { 0, 0 } }));

        Assert.NotNull(png);
    }

    [Theory]
    [InlineData(0.0, 1.0, 0.0, 1.0, 0.2)]
    [InlineData(0.43, 2.91, 0.0, 3.0, 0.5)]
    [InlineData(-5.3, -2.1, -6.0, -2.0, 1.0)]
    public void NiceTicks_Range_RoundStepsCoveringIt(double min, double max, double first, double last, double step)
    {
        double[] ticks = ReportCharts.NiceTicks(min, max, 5);

        Assert.Equal(first, ticks[0], 9);
        Assert.Equal(last, ticks[^1], 9);
        Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(step, p.Second - p.First, 9));
    }

    [Fact]
    public void LineChart_MissingValidationValues_LeavesGapsAndStillDraws()
    {
        var series = new List<ChartSeries>
        {
            new("train", SKColors.Blue, [1.0, 0.5, 0.25]),
            new("validation", SKColors.OrangeRed, [null, null, null]),
        };

        using var png = SKBitmap.Decode(ReportCharts.LineChart("Loss", "loss", series, 2));

        Assert.Equal((560, 320), (png.Width, png.Height));
        Assert.True(EvaluationReportTests.DistinctColours(png) > 8);
    }
}
