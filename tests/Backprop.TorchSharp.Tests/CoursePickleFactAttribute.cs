using Backprop.Cli.DataFiles;

namespace Backprop.Tests;

/// <summary>A fact that needs the course's <c>data/mnist.pkl.gz</c> (17 MB, not committed): skipped, saying how to get it, when it is absent.</summary>
internal sealed class CoursePickleFactAttribute : FactAttribute
{
    public CoursePickleFactAttribute()
    {
        if (!File.Exists(Path))
            Skip = $"needs {Path}: run `backprop data download` (or make_pickle_fixtures.py --full for a stand-in)";
    }

    /// <summary>Where the course's file is looked for.</summary>
    public static string Path => MnistDownload.PathIn(Repo.Data);
}
