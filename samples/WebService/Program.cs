// WebService: an image-classification HTTP service on loopback, with an upload page.
//   dotnet run --project samples/WebService -- --model model.zip [--urls http://127.0.0.1:5080] [--MaxUploadBytes 10485760] [--PoolSize 2]
//   POST /predict?top=3   the image as multipart form field "image" or as the raw request body → JSON top-k
//   GET  /                a page to upload an image and see the prediction
//   GET  /health          status, model and pool
// The model is served by the Transfer.Extensions.Hosting package: settings in section "Transfer" (ModelPath, PoolSize,
// ReloadOnChange...) from appsettings.json, the environment or the command line; --model and --PoolSize are short forms.
// Replacing the model file reloads it without a restart; requests in flight finish on the old model.
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Transfer.Hosting;
using Transfer.Images;

const string DefaultUrl = "http://127.0.0.1:5080";
const long DefaultMaxUploadBytes = 10 * 1024 * 1024;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

// 1. Settings: the upload limit and the address here, the model's in the hosting package (checked when the host starts).
var config = builder.Configuration;
string urls = config["urls"] ?? DefaultUrl;
if (config["Model"] is { Length: > 0 } shortModel)
{
    config["Transfer:ModelPath"] = shortModel;
}

if (config["PoolSize"] is { } shortPoolSize)
{
    config["Transfer:PoolSize"] = shortPoolSize;
}

if (string.IsNullOrWhiteSpace(config["Transfer:ModelPath"]))
{
    return Fail("No model: pass --model <model.zip> (a zip saved by Transfer, e.g. by TrainFromFolder), or set \"Transfer:ModelPath\" in appsettings.json or the environment (Transfer__ModelPath).");
}

if (!TryReadNumber(config, "MaxUploadBytes", DefaultMaxUploadBytes, 1, out long maxUploadBytes, out string? error))
{
    return Fail(error!);
}

foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    // No authentication here, so the service only listens on this machine.
    if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
        || !(uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address))))
    {
        return Fail($"--urls \"{url}\" is not a loopback address: this sample listens on 127.0.0.1 only. Use e.g. --urls http://127.0.0.1:5080 (port 0 picks a free port).");
    }
}

// 2. The model: loaded at start, a pool of predictors shares it (each request runs on a free one, the others wait),
//    reloaded when its file changes; a /health check comes with it.
builder.Services.AddTransferPredictorPool(builder.Configuration);
builder.WebHost.UseUrls(urls);

// 3. Upload limits: Kestrel refuses larger bodies with 413, and so does the multipart reader.
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = maxUploadBytes;
    k.AddServerHeader = false;
});
builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = maxUploadBytes);

var app = builder.Build();
string page = ReadPage();

// 4. The upload page: self-contained (inline CSS and script, no external URLs), and the policy says so.
app.MapGet("/", (HttpContext context) =>
{
    context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob:; connect-src 'self'; form-action 'self'";
    return Results.Content(page, "text/html; charset=utf-8");
});

app.MapGet("/health", (ReloadingPredictorPool pool) =>
{
    var status = pool.Status;
    return Results.Json(new
    {
        status = status.LastError is null ? "ok" : "degraded",
        model = Path.GetFileName(status.ModelPath),
        generation = status.Generation,
        classes = status.Classes,
        poolSize = status.PoolSize,
        predictors = status.PredictorsCreated,
        lastError = status.LastError,
        maxUploadBytes,
    });
});

// 5. Prediction: an image in (form field "image" or the raw body), the top-k classes out; bad input gets a JSON error.
app.MapPost("/predict", async (HttpRequest request, ReloadingPredictorPool pool, CancellationToken cancellationToken) =>
{
    int top = 3;
    if (request.Query.TryGetValue("top", out var topText)
        && (!int.TryParse(topText, NumberStyles.Integer, CultureInfo.InvariantCulture, out top) || top < 1 || top > pool.Classes.Count))
    {
        return Error(StatusCodes.Status400BadRequest, $"Query parameter \"top\" must be a whole number from 1 to {pool.Classes.Count} (the class count), was \"{topText}\".");
    }

    if (request.ContentLength > maxUploadBytes)
    {
        return TooLarge(request.ContentLength.Value);
    }

    string name;
    byte[] bytes;
    try
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            var file = form.Files.GetFile("image") ?? (form.Files.Count > 0 ? form.Files[0] : null);
            if (file is null)
            {
                return Error(StatusCodes.Status400BadRequest, "The form has no file: send the image in multipart form field \"image\" (or as the raw request body).");
            }

            name = file.FileName;
            bytes = new byte[file.Length];
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }
        else
        {
            name = "request body";
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
    }
    catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
    {
        return TooLarge(null);
    }
    catch (InvalidDataException e) when (e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
    {
        return TooLarge(null);
    }

    if (bytes.Length == 0)
    {
        return Error(StatusCodes.Status400BadRequest, "No image was sent: post it as multipart form field \"image\" or as the raw request body (Content-Type image/png, image/jpeg…).");
    }

    try
    {
        var prediction = await pool.PredictAsync(bytes, top, cancellationToken);
        return Results.Json(new { label = prediction.Label, score = prediction.Score, top = prediction.Top });
    }
    catch (InvalidImageException e)
    {
        return Error(StatusCodes.Status400BadRequest, $"\"{name}\" is not an image that can be read ({e.Reason.TrimEnd('.')}). Upload a PNG, JPEG, BMP, GIF or WebP image.");
    }
}).DisableAntiforgery();

// 6. Start (the model loads here; a wrong setting stops it with the fix), say where (port 0 in --urls picks a free one), and serve until Ctrl+C.
try
{
    await app.StartAsync();
}
catch (OptionsValidationException e)
{
    return Fail(string.Join(" ", e.Failures));
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
{
    return Fail(e.Message);
}

var served = app.Services.GetRequiredService<ReloadingPredictorPool>().Status;
Console.WriteLine($"Transfer WebService: {served.Classes.Count} classes from {served.ModelPath}; uploads up to {maxUploadBytes} bytes; {served.PoolSize} predictor(s).");
foreach (string address in app.Urls)
{
    Console.WriteLine($"Listening on {address}");
}

await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;

IResult Error(int status, string message) => Results.Json(new { error = message, status }, statusCode: status);

IResult TooLarge(long? length) => Error(
    StatusCodes.Status413PayloadTooLarge,
    length is { } n
        ? $"The upload is {n} bytes; this service accepts at most {maxUploadBytes} bytes (setting MaxUploadBytes). Send a smaller image."
        : $"The upload is over {maxUploadBytes} bytes, the most this service accepts (setting MaxUploadBytes). Send a smaller image.");

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 2;
}

static bool TryReadNumber(IConfiguration config, string key, long fallback, long minimum, out long value, out string? error)
{
    string? text = config[key];
    error = null;
    value = fallback;
    if (text is null)
    {
        return true;
    }

    if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= minimum)
    {
        return true;
    }

    error = $"Setting {key} must be a whole number of at least {minimum}, was \"{text}\".";
    return false;
}

static string ReadPage()
{
    using var stream = typeof(Program).Assembly.GetManifestResourceStream("WebService.index.html");
    using var reader = new StreamReader(stream ?? throw new InvalidOperationException("The page resource WebService.index.html is missing from the build."));
    return reader.ReadToEnd();
}
