using Backprop.Cli.Runs;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Runs;

public sealed class CpuThreadsTests
{
    [Theory]
    [InlineData(50, 50, 2, 1)]     // the lesson's model: 8 MFLOP a step, one thread is fastest
    [InlineData(50, 200, 2, 1)]    // 32 MFLOP, still below the crossover
    [InlineData(50, 1000, 2, 2)]   // 20 times wider: 160 MFLOP, two threads are 1.5x faster
    [InlineData(50, 2000, 2, 2)]
    [InlineData(4096, 50, 2, 2)]   // the lesson's width at a large batch: 655 MFLOP
    [InlineData(50, 1000, 16, 16)] // every processor once the step is big enough
    [InlineData(4096, 2000, 1, 1)] // one processor: one thread, whatever the work
    public void The_default_is_chosen_by_the_steps_work(int batchSize, int hidden, int processors, int expected) =>
        Assert.Equal(expected, CpuThreads.ForStep(batchSize, [hidden], processors));

    [Fact]
    public void The_crossover_sits_at_the_threshold()
    {
        Assert.Equal(7.99e6, CpuThreads.FlopsPerStep(50, [50]), 1e4);
        Assert.True(CpuThreads.FlopsPerStep(50, [250]) < CpuThreads.ParallelFromFlopsPerStep);
        Assert.True(CpuThreads.FlopsPerStep(50, [251]) >= CpuThreads.ParallelFromFlopsPerStep);
        Assert.Equal(1, CpuThreads.ForStep(50, [250], 2));
        Assert.Equal(2, CpuThreads.ForStep(50, [251], 2));
    }

    [Fact]
    public void A_deeper_model_counts_every_layer_s_forward_and_dW_and_every_input_gradient_but_the_first()
    {
        // 784-100-50-10 at bs 50: 2 · 50 · (2 · 784 · 100 + 3 · 100 · 50 + 3 · 50 · 10)
        Assert.Equal(17.33e6, CpuThreads.FlopsPerStep(50, [100, 50]), 1);
        Assert.Equal(47.94e6, CpuThreads.FlopsPerStep(50, [300]), 1); // one layer: 2 · 50 · (2 · 784 · 300 + 3 · 300 · 10)
        Assert.Equal(1, CpuThreads.ForStep(50, [100, 50], 2));
        Assert.Equal(2, CpuThreads.ForStep(50, [250, 250], 2)); // the second layer's 62,500 weights tip it past 40 MFLOP
    }

    [Fact]
    public void Apply_uses_the_rule_unless_threads_are_asked_for()
    {
        var before = get_num_threads();
        try
        {
            Assert.Equal(1, CpuThreads.Apply(null, CPU, batchSize: 50));
            Assert.Equal(CpuThreads.ForStep(50, [1000], Environment.ProcessorCount), CpuThreads.Apply(null, CPU, batchSize: 50, hidden: [1000]));
            Assert.Equal(2, CpuThreads.Apply(2, CPU, batchSize: 50, hidden: [50]));      // --threads wins over the rule
            Assert.Equal(1, CpuThreads.Apply(1, CPU, batchSize: 50, hidden: [1000]));
            Assert.Throws<ArgumentOutOfRangeException>(() => CpuThreads.Apply(0, CPU));
        }
        finally
        {
            set_num_threads(before);
        }
    }
}
