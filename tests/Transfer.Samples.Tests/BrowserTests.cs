using Microsoft.Playwright;
using SkiaSharp;

namespace Transfer.Samples.Tests;

/// <summary>The WebService upload page driven in headless Chromium (the system's /usr/bin/chromium; nothing is downloaded).</summary>
[Collection(SamplesGroup.Name)]
public sealed class BrowserTests(SamplesFixture fixture)
{
    private const string ChromiumPath = "/usr/bin/chromium";

    [SkippableFact]
    public async Task Page_UploadImage_ShowsPredictedLabelAndSavesScreenshot()
    {
        RequireBrowser();
        var service = await fixture.ServiceAsync();
        var (_, imagePath, expected) = fixture.Images[3];

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 800, Height = 520 } });
        var external = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(service.BaseAddress.ToString(), StringComparison.Ordinal) && !request.Url.StartsWith("blob:", StringComparison.Ordinal))
            {
                external.Add(request.Url);
            }
        };

        await page.GotoAsync(service.BaseAddress.ToString());
        await page.SetInputFilesAsync("#file", imagePath);
        await page.ClickAsync("#submit");
        await page.Locator("#result").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 60_000 });

        Assert.Equal(expected.Label, await page.Locator("#label").TextContentAsync());
        var rows = page.Locator("#scores tr");
        Assert.Equal(3, await rows.CountAsync());
        Assert.StartsWith(expected.Top[1].Label, await rows.Nth(1).InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("#error").IsHiddenAsync());
        Assert.Empty(external);

        // The screenshot is a test artifact: a real PNG with something drawn on it.
        string screenshot = Path.Combine(TestData.ArtifactsDirectory, "webservice-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        AssertNonBlankPng(screenshot);

        // A file that is not an image: the page shows the service's message instead of a prediction.
        string notes = Path.Combine(fixture.Directory, "notes.txt");
        await File.WriteAllTextAsync(notes, "not a picture");
        await page.SetInputFilesAsync("#file", notes);
        await page.ClickAsync("#submit");
        await page.Locator("#error").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 60_000 });
        Assert.StartsWith("\"notes.txt\" is not an image that can be read", await page.Locator("#error").TextContentAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("#result").IsHiddenAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(TestData.ArtifactsDirectory, "webservice-page-error.png"), FullPage = true });
    }

    private static void RequireBrowser()
    {
        if (File.Exists(ChromiumPath))
        {
            return;
        }

        string reason = $"Chromium is not installed at {ChromiumPath} (Debian package 'chromium'; .ci/run installs it).";
        if (Environment.GetEnvironmentVariable("TRANSFER_REQUIRE_BROWSER") == "1")
        {
            Assert.Fail(reason + " TRANSFER_REQUIRE_BROWSER=1, so a missing browser is a failure.");
        }

        Skip.If(true, reason);
    }

    private static void AssertNonBlankPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is only {bytes.Length} bytes.");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 4)
        {
            for (int x = 0; x < bitmap.Width; x += 4)
            {
                colours.Add((uint)bitmap.GetPixel(x, y));
            }
        }

        // A blank (single-colour) page has one colour; the rendered page has text, the form, the image and bars.
        Assert.True(colours.Count > 20, $"{path} looks blank: {colours.Count} distinct colours.");
    }
}
