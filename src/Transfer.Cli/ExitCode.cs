namespace Transfer.Cli;

/// <summary>
/// The process exit codes of <c>transfer</c>. They are a stable interface (docs/CLI.md, "Exit codes"): scripts may
/// test them, so a value is never reused for another meaning.
/// </summary>
internal enum ExitCode
{
    /// <summary>The command succeeded.</summary>
    Success = 0,

    /// <summary>An unexpected failure (a bug): the message names the exception.</summary>
    InternalError = 1,

    /// <summary>The command line is wrong: unknown command or option, missing argument, or an option value out of range.</summary>
    Usage = 2,

    /// <summary>An input path does not exist: image folder, model file, image file, cache folder or backbone ONNX file.</summary>
    NotFound = 3,

    /// <summary>The images cannot make a data set: no class folders, an empty class, fewer than two classes, or classes the model does not know.</summary>
    NoImages = 4,

    /// <summary>An image cannot be read or decoded.</summary>
    BadImage = 5,

    /// <summary>The model file is not a Transfer model zip or is damaged.</summary>
    BadModel = 6,

    /// <summary>The <c>--head</c> value is not one of auto, lbfgs, sdca, lightgbm, softmax, mlp, prototype, knn (the values <c>--head</c> completes).</summary>
    UnknownHead = 7,

    /// <summary>The backbone is unknown, its model files are missing, or an ONNX backbone has no valid descriptor.</summary>
    BadBackbone = 8,

    /// <summary>An output file or folder cannot be written.</summary>
    OutputFailed = 9,

    /// <summary>The folder is not a bottleneck cache, or the cache cannot be read.</summary>
    BadCache = 10,

    /// <summary>The model cannot be exported to ONNX (its head has no ONNX form); the message names the head and the heads that export.</summary>
    ExportUnsupported = 11,

    /// <summary>The run was cancelled (Ctrl+C).</summary>
    Cancelled = 130,
}
