package main

import "github.com/spf13/cobra"

func newDemoCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Demo data for the local stack",
	}
	return cmd
}
