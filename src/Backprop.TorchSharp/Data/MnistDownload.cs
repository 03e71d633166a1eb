namespace Backprop.Data;

/// <summary>The course's <c>mnist.pkl.gz</c>: where the lessons get it, and what it must be.</summary>
public static class MnistDownload
{
    /// <summary>The lessons' <c>MNIST_URL</c>.</summary>
    public const string CourseUrl = "https://github.com/mnielsen/neural-networks-and-deep-learning/blob/master/data/mnist.pkl.gz?raw=true";

    /// <summary>
    /// The file at <see cref="CourseUrl"/>: 17,051,982 bytes, git blob <c>059aba0d982e20e2ac125a3a59d89c3c2cd8b28a</c>
    /// (the id in that repository's tree for <c>data/mnist.pkl.gz</c>, unchanged since March 2014). No SHA-256 is
    /// published for it anywhere we could find, so none is pinned: the git blob id is the source's own hash.
    /// </summary>
    public static RemoteFile CourseFile { get; } =
        new(new Uri(CourseUrl), 17_051_982, Sha256: null, GitBlobSha1: "059aba0d982e20e2ac125a3a59d89c3c2cd8b28a");

    /// <summary>Where the course's file goes in a data folder: <c>dataDir/mnist.pkl.gz</c>.</summary>
    public static string PathIn(string dataDir) => Path.Combine(dataDir, MnistPickle.FileName);

    /// <summary>Downloads the course's file into <paramref name="dataDir"/>, unless a good copy is already there.</summary>
    /// <param name="dataDir">The data folder (e.g. <see cref="Mnist.DefaultDirectory"/>).</param>
    /// <param name="progress">Told the bytes done and expected as the download goes.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <exception cref="DownloadException">The download failed; nothing was written.</exception>
    public static Task<DownloadResult> DownloadAsync(string dataDir, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Downloader.DownloadAsync(CourseFile, PathIn(dataDir), progress, cancellationToken: cancellationToken);
}
