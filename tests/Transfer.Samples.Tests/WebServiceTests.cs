using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Transfer.Samples.Tests;

/// <summary>The WebService sample, running for real on loopback as a child process, against the shared trained model.</summary>
[Collection(SamplesGroup.Name)]
public sealed class WebServiceTests(SamplesFixture fixture)
{
    [Fact]
    public async Task Predict_EightConcurrentClientsFiftyRequestsEach_AllMatchThePredictor()
    {
        var service = await fixture.ServiceAsync();
        const int Clients = 8;
        const int RequestsPerClient = 50;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int answered = 0;

        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            for (int r = 0; r < RequestsPerClient; r++)
            {
                var (label, path, expected) = fixture.Images[(c * 7 + r) % fixture.Images.Count];
                byte[] bytes = await File.ReadAllBytesAsync(path);

                // Half the requests post a multipart form, half the raw bytes.
                using HttpContent content = (c + r) % 2 == 0 ? Form("image", Path.GetFileName(path), bytes) : Raw(bytes);
                using var response = await http.PostAsync(new Uri("predict?top=3", UriKind.Relative), content);
                string body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"client {c} request {r}: {(int)response.StatusCode} {body}");
                    continue;
                }

                var actual = JsonSerializer.Deserialize<PredictionJson>(body, JsonOptions)!;
                string? mismatch = Compare(expected, actual);
                if (mismatch is not null)
                {
                    failures.Add($"client {c} request {r} ({Path.GetFileName(path)}, true class {label}): {mismatch}");
                }

                Interlocked.Increment(ref answered);
            }
        })).ToArray();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.Equal(Clients * RequestsPerClient, answered);

        // The pool never held more predictors than its size, however many clients came at once.
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        var health = await client.GetFromJsonAsync<JsonElement>("health");
        Assert.InRange(health.GetProperty("predictors").GetInt32(), 1, SamplesFixture.PoolSize);
    }

    [Fact]
    public async Task Predict_NonImageUpload_Returns400WithClearMessage()
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };

        using var response = await http.PostAsync(new Uri("predict", UriKind.Relative), Form("image", "notes.txt", Encoding.UTF8.GetBytes("these are my notes, not a picture")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        string message = error.GetProperty("error").GetString()!;
        Assert.StartsWith("\"notes.txt\" is not an image that can be read (", message, StringComparison.Ordinal);
        Assert.EndsWith("). Upload a PNG, JPEG, BMP, GIF or WebP image.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_EmptyBody_Returns400WithClearMessage()
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };

        using var response = await http.PostAsync(new Uri("predict", UriKind.Relative), Raw([]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(
            "No image was sent: post it as multipart form field \"image\" or as the raw request body (Content-Type image/png, image/jpeg…).",
            error.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("11")]
    [InlineData("three")]
    public async Task Predict_TopOutOfRange_Returns400NamingTheParameter(string top)
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };

        using var response = await http.PostAsync(new Uri($"predict?top={top}", UriKind.Relative), Raw(await File.ReadAllBytesAsync(fixture.Images[0].Path)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"Query parameter \"top\" must be a whole number from 1 to 10 (the class count), was \"{top}\".", error.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("form")]
    public async Task Predict_OversizedUpload_Returns413WithTheLimit(string kind)
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var bytes = new byte[3 * SamplesFixture.MaxUploadBytes];
        new Random(1).NextBytes(bytes);

        using HttpContent content = kind == "raw" ? Raw(bytes) : Form("image", "huge.png", bytes);
        using var response = await http.PostAsync(new Uri("predict", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        string message = error.GetProperty("error").GetString()!;
        Assert.Contains($"this service accepts at most {SamplesFixture.MaxUploadBytes} bytes (setting MaxUploadBytes)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_ChunkedOversizedUpload_Returns413()
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var bytes = new byte[3 * SamplesFixture.MaxUploadBytes];

        // No Content-Length: the limit is hit while reading the body.
        using var content = new StreamContent(new MemoryStream(bytes));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("predict", UriKind.Relative)) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(
            $"The upload is over {SamplesFixture.MaxUploadBytes} bytes, the most this service accepts (setting MaxUploadBytes). Send a smaller image.",
            error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Health_Running_ReportsModelAndPool()
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };

        var health = await http.GetFromJsonAsync<JsonElement>("health");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("fashion.zip", health.GetProperty("model").GetString());
        Assert.Equal(fixture.Classes, health.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal(SamplesFixture.PoolSize, health.GetProperty("poolSize").GetInt32());
        Assert.Equal(SamplesFixture.MaxUploadBytes, health.GetProperty("maxUploadBytes").GetInt64());
    }

    [Fact]
    public async Task Page_Get_IsSelfContainedHtml()
    {
        var service = await fixture.ServiceAsync();
        using var http = new HttpClient { BaseAddress = service.BaseAddress };

        using var response = await http.GetAsync(new Uri("/", UriKind.Relative));
        string html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<input id=\"file\" name=\"image\" type=\"file\"", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("(src|href|action)\\s*=\\s*[\"']?(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("default-src 'none';", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_MissingModel_ExitsWithOneLineError()
    {
        string missing = Path.Combine(fixture.Directory, "missing.zip");

        var result = await SampleProcess.RunAsync("WebService", ["--model", missing, "--urls", "http://127.0.0.1:0"], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith($"error: Transfer:ModelPath \"{missing}\" does not exist", result.Error.Trim(), StringComparison.Ordinal);
        Assert.Contains("transfer train", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_NonLoopbackUrl_IsRefused()
    {
        var result = await SampleProcess.RunAsync("WebService", ["--model", fixture.ModelPath, "--urls", "http://0.0.0.0:0"], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(
            "error: --urls \"http://0.0.0.0:0\" is not a loopback address: this sample listens on 127.0.0.1 only. Use e.g. --urls http://127.0.0.1:5080 (port 0 picks a free port).",
            result.Error.Trim());
    }

    [Fact]
    public async Task Startup_NoModelSetting_ExitsWithHowToFix()
    {
        var result = await SampleProcess.RunAsync("WebService", ["--urls", "http://127.0.0.1:0"], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("error: No model: pass --model <model.zip>", result.Error.Trim(), StringComparison.Ordinal);
    }

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    internal static MultipartFormDataContent Form(string field, string fileName, byte[] bytes)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(fileName.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "text/plain");
        return new MultipartFormDataContent { { file, field, fileName } };
    }

    internal static ByteArrayContent Raw(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    /// <summary>Null when the service's answer matches the in-process predictor's (labels exact, probabilities within 1e-4).</summary>
    private static string? Compare(Models.Prediction expected, PredictionJson actual)
    {
        if (actual.Label != expected.Label || actual.Top.Count != expected.Top.Count)
        {
            return $"expected {expected.Label} ({expected.Top.Count} classes), got {actual.Label} ({actual.Top.Count})";
        }

        for (int i = 0; i < expected.Top.Count; i++)
        {
            if (actual.Top[i].Label != expected.Top[i].Label || Math.Abs(actual.Top[i].Score - expected.Top[i].Score) > 1e-4)
            {
                return $"rank {i + 1}: expected {expected.Top[i].Label} {expected.Top[i].Score}, got {actual.Top[i].Label} {actual.Top[i].Score}";
            }
        }

        return null;
    }

    private sealed record LabelScoreJson(string Label, float Score);

    private sealed record PredictionJson(string Label, float Score, IReadOnlyList<LabelScoreJson> Top);
}
