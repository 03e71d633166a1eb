using Backprop.Cli.Bench;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Bench;

public sealed class CpuThreadsTests
{
    [Fact]
    public void Training_on_the_cpu_defaults_to_one_thread_and_takes_what_is_asked()
    {
        var before = get_num_threads();
        try
        {
            Assert.Equal(CpuThreads.ForSmallModels, CpuThreads.Apply(null, CPU));
            Assert.Equal(2, CpuThreads.Apply(2, CPU));
            Assert.Throws<ArgumentOutOfRangeException>(() => CpuThreads.Apply(0, CPU));
        }
        finally
        {
            set_num_threads(before);
        }
    }
}
